#include "blemon/presence.h"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace blemon {
namespace {

constexpr std::array<std::pair<WatchTargetKind, std::string_view>, 2> kTargetKindNames{{
    {WatchTargetKind::kMac, "mac"},
    {WatchTargetKind::kIdentity, "identity"},
}};

constexpr std::array<std::pair<PresenceEventKind, std::string_view>, 3> kEventKindNames{{
    {PresenceEventKind::kArrive, "arrive"},
    {PresenceEventKind::kLeave, "leave"},
    {PresenceEventKind::kRoomChange, "room_change"},
}};

template <typename Enum, std::size_t N>
std::string_view NameOf(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return names.front().second;
}

template <typename Enum, std::size_t N>
std::optional<Enum> ValueOf(const std::array<std::pair<Enum, std::string_view>, N>& names,
                            std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string_view ToString(WatchTargetKind kind) { return NameOf(kTargetKindNames, kind); }

std::optional<WatchTargetKind> WatchTargetKindFromString(std::string_view text) {
  return ValueOf(kTargetKindNames, text);
}

std::string_view ToString(PresenceEventKind kind) { return NameOf(kEventKindNames, kind); }

std::optional<PresenceEventKind> PresenceEventKindFromString(std::string_view text) {
  return ValueOf(kEventKindNames, text);
}

std::string PresenceEventId(std::string_view device, UtcTime interval_start,
                            PresenceEventKind kind) {
  return fmt::format("{}/{}/{}", device, interval_start.time_since_epoch().count(), ToString(kind));
}

}  // namespace blemon
