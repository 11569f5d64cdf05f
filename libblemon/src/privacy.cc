// HMAC-SHA256 from OpenSSL's libcrypto (EVP_MAC), the one keyed hash of privacy mode.
#include "blemon/privacy.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string_view>

namespace blemon {
namespace {

constexpr std::string_view kDayKeyLabel = "blemon-pseudonym-key";

struct MacFree {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
  void operator()(EVP_MAC_CTX* context) const { EVP_MAC_CTX_free(context); }
};

using MacContext = std::unique_ptr<EVP_MAC_CTX, MacFree>;

[[noreturn]] void Fail() { throw std::runtime_error("libcrypto could not compute HMAC-SHA256"); }

// An HMAC-SHA256 context keyed with `key`, ready for a message.
MacContext KeyedHmac(std::span<const std::uint8_t> key) {
  static const std::unique_ptr<EVP_MAC, MacFree> kHmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  MacContext context(kHmac ? EVP_MAC_CTX_new(kHmac.get()) : nullptr);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  if (!context || EVP_MAC_init(context.get(), key.data(), key.size(), params) != 1) Fail();
  return context;
}

// HMAC of `message` under a keyed context, which is left as it was: a copy of it does the work,
// so the key schedule (two SHA-256 blocks) is paid once per key, not once per message.
std::array<std::uint8_t, 32> HmacSha256(const EVP_MAC_CTX& keyed,
                                        std::span<const std::uint8_t> message) {
  MacContext context(EVP_MAC_CTX_dup(&keyed));
  std::array<std::uint8_t, 32> out{};
  std::size_t written = 0;
  if (!context || EVP_MAC_update(context.get(), message.data(), message.size()) != 1 ||
      EVP_MAC_final(context.get(), out.data(), &written, out.size()) != 1 || written != 32) {
    Fail();
  }
  return out;
}

std::span<const std::uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

struct Pseudonymiser::DayMac {
  MacContext keyed;
};

std::size_t Pseudonymiser::AddressHash::operator()(const MacAddress& address) const noexcept {
  std::uint64_t value = 0;
  for (const std::uint8_t byte : address.bytes()) value = value << 8 | byte;
  return std::hash<std::uint64_t>{}(value);
}

Pseudonymiser::Pseudonymiser(std::string fleet_secret) : fleet_secret_(std::move(fleet_secret)) {
  if (fleet_secret_.size() < kMinSecretBytes) {
    throw std::invalid_argument(fmt::format("the fleet secret holds {} bytes, fewer than {}",
                                            fleet_secret_.size(), kMinSecretBytes));
  }
}

Pseudonymiser::~Pseudonymiser() = default;

void Pseudonymiser::SetWatched(WatchedDevices watched) {
  watched_ = std::move(watched.addresses);
  watched_identities_ = watched.identity_keys.empty()
                            ? nullptr
                            : std::make_unique<IrkResolver>(std::move(watched.identity_keys));
}

void Pseudonymiser::UseDayOf(UtcTime when) {
  const auto day = std::chrono::floor<std::chrono::days>(when);
  const std::int64_t day_number = day.time_since_epoch().count();
  if (day_ == day_number) return;
  const std::chrono::year_month_day date{std::chrono::sys_days{day}};
  const std::string message =
      fmt::format("{}{:04}-{:02}-{:02}", kDayKeyLabel, static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  const std::array<std::uint8_t, 32> day_key =
      HmacSha256(*KeyedHmac(Bytes(fleet_secret_)), Bytes(message));
  day_mac_ = std::make_unique<DayMac>(DayMac{KeyedHmac(day_key)});
  day_ = day_number;
  cache_.clear();  // yesterday's pseudonyms must not outlive their day
}

MacAddress Pseudonymiser::Pseudonym(const MacAddress& address, UtcTime when) {
  UseDayOf(when);
  if (const auto found = cache_.find(address); found != cache_.end()) return found->second;
  const std::array<std::uint8_t, 32> digest = HmacSha256(*day_mac_->keyed, address.bytes());
  std::array<std::uint8_t, 6> bytes{};
  std::copy_n(digest.begin(), bytes.size(), bytes.begin());
  bytes[0] |= 0xC0;  // the random static form: never a vendor's public address
  const MacAddress pseudonym = MacAddress::FromBytes(bytes);
  // Bounded: a crowd of rotating addresses may not grow it without end; the cost of emptying it
  // is one HMAC per address heard again.
  if (cache_.size() >= kMaxCachedPseudonyms) cache_.clear();
  cache_.emplace(address, pseudonym);
  return pseudonym;
}

void Pseudonymiser::Apply(std::vector<Reading>& readings, UtcTime when) {
  std::vector<MacAddress> addresses;
  addresses.reserve(readings.size());
  for (const Reading& reading : readings) addresses.push_back(reading.mac);
  std::vector<std::optional<std::size_t>> resolved(readings.size());
  if (watched_identities_) resolved = watched_identities_->Resolve(addresses);
  for (std::size_t i = 0; i < readings.size(); ++i) {
    if (watched_.contains(readings[i].mac) || resolved[i]) continue;
    readings[i].mac = Pseudonym(readings[i].mac, when);
    readings[i].name.reset();
  }
  std::sort(readings.begin(), readings.end(),
            [](const Reading& a, const Reading& b) { return a.mac < b.mac; });
}

}  // namespace blemon
