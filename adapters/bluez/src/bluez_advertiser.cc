// The Advertiser port over BlueZ's D-Bus API (org.bluez.LEAdvertisingManager1), with sdbus-c++
// 1.2.
//
// An advertisement lives as long as the bus connection that registered it: bluetoothd drops a
// client's advertisements when the client leaves the bus. So, unlike a scan, the advertiser keeps
// one connection from the Start that registers to Stop, and exports on it one
// org.bluez.LEAdvertisement1 object whose properties bluetoothd reads (GetAll) while
// RegisterAdvertisement is pending: that call is made asynchronously and the connection served
// until its reply comes, on the caller's thread (no event loop thread). Between calls nobody reads
// the connection; what bluetoothd sends meanwhile (Release when the adapter goes) waits in the
// socket and is handled by the next Start, which also checks that bluetoothd is the one we
// registered with. Any failure drops the connection; the next Start starts afresh.
//
// What goes on the air: Type "broadcast" (nobody needs to connect to a monitor), ServiceData
// {blemon UUID: 6 bytes} (blemon/beacon.h), Includes ["tx-power"] when the adapter's
// SupportedIncludes has it (the TX Power Level field is the receivers' fallback), and TxPower,
// which asks for the adapter's MaxTxPower (or kDefaultBeaconTxPower) — a request BlueZ honours only
// when bluetoothd runs with --experimental. No ServiceUUIDs: the 128-bit UUID twice does not fit
// the 31 bytes of a legacy advertisement.
//
// TX power read back: bluetoothd (5.56 and later, with a kernel that has the extended MGMT
// advertising commands) writes the power it selected for the advertising set into the advert's
// TxPower property while registering. The service data can only carry what is known when BlueZ
// reads it, so a first registration says "unknown" (127) and, once the selected power is known,
// the advert is registered once more with it.

#include "blemon/bluez/bluez_advertiser.h"

#include <fmt/format.h>
#include <poll.h>
#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "blemon/beacon.h"
#include "bus_support.h"
#include "device_properties.h"
#include "scanner_options.h"

namespace blemon::bluez {
namespace {

using internal::InterfaceMap;
using internal::kBluezService;
using internal::kBusPath;
using internal::kBusService;
using internal::kObjectManagerInterface;
using internal::PropertyMap;
using internal::ScannerOptions;

constexpr char kAdvertisingManagerInterface[] = "org.bluez.LEAdvertisingManager1";
constexpr char kAdvertisementInterface[] = "org.bluez.LEAdvertisement1";
constexpr char kAdvertisementPath[] = "/org/blemon/beacon";

// A fault that keeps the beacon off the air; what() is the message the user sees.
class AdvertiseFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string ExplainAdvertising(const sdbus::Error& error, std::string_view adapter) {
  const std::string& name = error.getName();
  const std::string& message = error.getMessage();
  if (name == "org.bluez.Error.NotPermitted") {
    return fmt::format(
        "Bluetooth adapter {} refused another advertisement ({}: {}): its advertising sets are "
        "all in use by other programs",
        adapter, name, message);
  }
  if (name == "org.bluez.Error.NotSupported") {
    return fmt::format(
        "Bluetooth adapter {} cannot advertise ({}: {}): set [monitor] advertise = false to stop "
        "trying",
        adapter, name, message);
  }
  if (name == "org.bluez.Error.InvalidArguments" || name == "org.bluez.Error.InvalidLength") {
    return fmt::format("BlueZ refused the monitor beacon as malformed ({}: {}): a blemon bug", name,
                       message);
  }
  if (name == "org.bluez.Error.Failed") {
    return fmt::format("BlueZ could not advertise on {} ({}): see `journalctl -u bluetooth`",
                       adapter, message);
  }
  const std::string call = fmt::format("RegisterAdvertisement on {}", adapter);
  if (auto explained = internal::ExplainBusError(name, message, call, adapter)) {
    return *std::move(explained);
  }
  return fmt::format("{} failed: {}: {}", call, name, message);
}

// What the adapter's LEAdvertisingManager1 tells about it.
struct ManagerInfo {
  bool includes_tx_power = false;
  std::optional<int> max_tx_power;  // SupportedCapabilities (experimental in BlueZ 5.66)
};

std::vector<std::string> ReadStrings(const PropertyMap& properties, const char* key) {
  const auto it = properties.find(key);
  if (it == properties.end() || it->second.peekValueType() != "as") return {};
  return it->second.get<std::vector<std::string>>();
}

std::optional<int> ReadCapability(const PropertyMap& properties, const char* capability) {
  const auto it = properties.find("SupportedCapabilities");
  if (it == properties.end() || it->second.peekValueType() != "a{sv}") return std::nullopt;
  const auto capabilities = it->second.get<std::map<std::string, sdbus::Variant>>();
  const auto value = capabilities.find(capability);
  return value == capabilities.end() ? std::nullopt : internal::ReadInteger(value->second);
}

// The advertisement object bluetoothd reads: its content is fixed while registered (BlueZ reads
// the properties once, at registration), and it records what bluetoothd writes back.
class AdvertisementObject final {
 public:
  explicit AdvertisementObject(sdbus::IConnection& connection)
      : object_(sdbus::createObject(connection, kAdvertisementPath)) {
    object_->registerMethod("Release").onInterface(kAdvertisementInterface).implementedAs([this] {
      released_ = true;
    });
    object_->registerProperty("Type").onInterface(kAdvertisementInterface).withGetter([] {
      return std::string("broadcast");
    });
    object_->registerProperty("ServiceData")
        .onInterface(kAdvertisementInterface)
        .withGetter([this] {
          return std::map<std::string, sdbus::Variant>{
              {std::string(kBeaconServiceUuid), sdbus::Variant(service_data_)}};
        });
    object_->registerProperty("Includes").onInterface(kAdvertisementInterface).withGetter([this] {
      return includes_;
    });
    object_->registerProperty("TxPower")
        .onInterface(kAdvertisementInterface)
        .withGetter([this] { return requested_tx_power_; })
        .withSetter([this](const std::int16_t& selected) { selected_tx_power_ = selected; });
    object_->finishRegistration();
  }

  void Set(std::vector<std::uint8_t> service_data, bool include_tx_power,
           std::int16_t requested_tx_power) {
    service_data_ = std::move(service_data);
    includes_ =
        include_tx_power ? std::vector<std::string>{"tx-power"} : std::vector<std::string>{};
    requested_tx_power_ = requested_tx_power;
    released_ = false;
  }
  // bluetoothd called Release: the advertisement is gone (adapter removed, timeout).
  bool released() const { return released_; }
  // The TX power bluetoothd selected for the advertising set, once it said.
  std::optional<int> selected_tx_power() const { return selected_tx_power_; }

 private:
  std::unique_ptr<sdbus::IObject> object_;
  std::vector<std::uint8_t> service_data_;
  std::vector<std::string> includes_;
  std::int16_t requested_tx_power_ = kDefaultBeaconTxPower;
  std::optional<int> selected_tx_power_;
  bool released_ = false;
};

class BluezAdvertiser final : public Advertiser {
 public:
  explicit BluezAdvertiser(ScannerOptions options) : options_(std::move(options)) {}
  ~BluezAdvertiser() override { Stop(); }

  AdvertiseOutcome Start(MonitorId monitor) override {
    try {
      if (!StillOnAir(monitor)) Register(monitor);
      return {.beacon = on_air_,
              .error = std::nullopt,
              .tx_power_assumed = !advert_->selected_tx_power()};
    } catch (const AdvertiseFailed& e) {
      Disconnect();
      return {.beacon = std::nullopt, .error = e.what()};
    } catch (const sdbus::Error& e) {
      Disconnect();
      return {.beacon = std::nullopt, .error = ExplainAdvertising(e, AdapterName())};
    } catch (const std::exception& e) {
      Disconnect();
      return {.beacon = std::nullopt, .error = fmt::format("advertising failed: {}", e.what())};
    }
  }

  void Stop() noexcept override {
    try {
      if (on_air_ && manager_) Unregister();
    } catch (...) {
      // Leaving the bus below ends the registration in bluetoothd all the same.
    }
    Disconnect();
  }

 private:
  // True when the beacon registered earlier is still on the air for `monitor`.
  bool StillOnAir(MonitorId monitor) {
    if (!on_air_ || !connection_) return false;
    while (connection_->processPendingRequest()) {
      // Serves what bluetoothd sent since the last call (Release, TxPower).
    }
    if (advert_->released() || BluezOwner() != registered_owner_) {
      on_air_.reset();  // bluetoothd dropped it, or restarted and forgot it
      return false;
    }
    if (on_air_->monitor_id != static_cast<std::uint32_t>(monitor)) {
      Unregister();
      return false;
    }
    return true;
  }

  void Register(MonitorId monitor) {
    Connect();
    const std::string owner = BluezOwner();
    const ManagerInfo info = FindManager();
    RegisterOnce(monitor, info, advert_->selected_tx_power());
    const std::optional<int> selected = advert_->selected_tx_power();
    if (selected && *selected != on_air_->tx_power) {
      // bluetoothd told the power it selected only now: say it in the beacon itself.
      Unregister();
      RegisterOnce(monitor, info, selected);
    }
    registered_owner_ = owner;
    on_air_->tx_power = selected.value_or(kDefaultBeaconTxPower);
  }

  void RegisterOnce(MonitorId monitor, const ManagerInfo& info, std::optional<int> tx_power) {
    auto service_data = EncodeBeaconServiceData(monitor, tx_power);
    if (!service_data) {
      throw AdvertiseFailed(fmt::format(
          "monitor ID {} does not fit the beacon's 4 bytes; the beacon cannot name it", monitor));
    }
    const auto requested = static_cast<std::int16_t>(std::clamp(
        info.max_tx_power.value_or(kDefaultBeaconTxPower), kMinBeaconTxPower, kMaxBeaconTxPower));
    advert_->Set(*std::move(service_data), info.includes_tx_power, requested);
    auto call = manager_->createMethodCall(kAdvertisingManagerInterface, "RegisterAdvertisement");
    call << sdbus::ObjectPath(kAdvertisementPath) << std::map<std::string, sdbus::Variant>{};
    CallServing(call);
    on_air_ = MonitorBeacon{.monitor_id = static_cast<std::uint32_t>(monitor),
                            .tx_power = tx_power.value_or(kBeaconTxPowerUnknown)};
  }

  void Unregister() {
    on_air_.reset();
    manager_->callMethod("UnregisterAdvertisement")
        .onInterface(kAdvertisingManagerInterface)
        .withTimeout(options_.call_timeout)
        .withArguments(sdbus::ObjectPath(kAdvertisementPath));
  }

  // Sends `call` and serves the advert object until its reply comes: bluetoothd reads the
  // advert's properties before it answers RegisterAdvertisement. Throws the reply's error.
  void CallServing(sdbus::MethodCall& call) {
    // Shared with the callback, which sd-bus may still hold if this returns by an exception.
    struct Reply {
      bool arrived = false;
      std::optional<sdbus::Error> error;
    };
    auto reply = std::make_shared<Reply>();
    const auto timeout =
        std::chrono::duration_cast<std::chrono::microseconds>(options_.call_timeout);
    manager_->callMethod(
        call,
        [reply](sdbus::MethodReply&, const sdbus::Error* error) {
          reply->arrived = true;
          if (error) reply->error = *error;
        },
        static_cast<std::uint64_t>(timeout.count()));
    // sd-bus ends the call with a timeout error by itself; this is the guard against a bus that
    // never gets to say so.
    const auto deadline = std::chrono::steady_clock::now() + 2 * options_.call_timeout;
    while (!reply->arrived) {
      while (!reply->arrived && connection_->processPendingRequest()) {
      }
      if (reply->arrived) break;
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        throw AdvertiseFailed(
            "BlueZ did not answer RegisterAdvertisement: bluetoothd may be stuck");
      }
      const auto data = connection_->getEventLoopPollData();
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
      if (const auto bus_timeout = internal::BusTimeout(data)) wait = std::min(wait, *bus_timeout);
      pollfd fd{data.fd, data.events, 0};
      if (::poll(&fd, 1, static_cast<int>(wait.count())) < 0 && errno != EINTR) {
        throw AdvertiseFailed(fmt::format("waiting for BlueZ failed: {}", std::strerror(errno)));
      }
    }
    if (reply->error) throw *reply->error;
  }

  void Connect() {
    if (connection_) return;
    try {
      connection_ = sdbus::createSystemBusConnection();
    } catch (const sdbus::Error& e) {
      throw AdvertiseFailed(fmt::format("cannot connect to the D-Bus system bus at {} ({})",
                                        internal::SystemBusAddress(), e.getMessage()));
    }
    connection_->setMethodCallTimeout(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(options_.call_timeout).count()));
    advert_ = std::make_unique<AdvertisementObject>(*connection_);
  }

  void Disconnect() noexcept {
    on_air_.reset();
    manager_.reset();
    advert_.reset();
    connection_.reset();
  }

  std::string BluezOwner() {
    auto bus = sdbus::createProxy(*connection_, kBusService, kBusPath);
    std::string owner;
    bus->callMethod("GetNameOwner")
        .onInterface(kBusService)
        .withArguments(std::string(kBluezService))
        .storeResultsTo(owner);
    return owner;
  }

  // The adapter to advertise on and its LEAdvertisingManager1; refuses when there is none.
  ManagerInfo FindManager() {
    std::map<sdbus::ObjectPath, InterfaceMap> objects;
    sdbus::createProxy(*connection_, kBluezService, "/")
        ->callMethod("GetManagedObjects")
        .onInterface(kObjectManagerInterface)
        .storeResultsTo(objects);
    const auto adapter = internal::FindAdapter(objects, options_.adapter);
    if (!adapter) {
      throw AdvertiseFailed(fmt::format("no Bluetooth adapter {}to advertise on",
                                        options_.adapter.empty() ? "" : options_.adapter + " "));
    }
    adapter_name_ = adapter->name;
    const InterfaceMap& interfaces = objects.at(sdbus::ObjectPath(adapter->path));
    const auto manager = interfaces.find(kAdvertisingManagerInterface);
    if (manager == interfaces.end()) {
      throw AdvertiseFailed(fmt::format(
          "Bluetooth adapter {} cannot advertise (BlueZ offers no {} on it: not a Bluetooth LE "
          "controller, or powered off); set [monitor] advertise = false to stop trying",
          adapter->name, kAdvertisingManagerInterface));
    }
    const auto includes = ReadStrings(manager->second, "SupportedIncludes");
    manager_ = sdbus::createProxy(*connection_, kBluezService, adapter->path);
    return ManagerInfo{.includes_tx_power = std::find(includes.begin(), includes.end(),
                                                      "tx-power") != includes.end(),
                       .max_tx_power = ReadCapability(manager->second, "MaxTxPower")};
  }

  std::string AdapterName() const {
    if (!adapter_name_.empty()) return adapter_name_;
    return options_.adapter.empty() ? "the adapter" : options_.adapter;
  }

  const ScannerOptions options_;
  // Declared before everything that refers to the connection, so it is destroyed last.
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<AdvertisementObject> advert_;
  std::unique_ptr<sdbus::IProxy> manager_;  // the adapter's LEAdvertisingManager1
  std::string adapter_name_;
  std::string registered_owner_;  // bluetoothd's unique name when it took the advert
  std::optional<MonitorBeacon> on_air_;
};

}  // namespace

namespace internal {

std::unique_ptr<Advertiser> MakeAdvertiser(const ScannerOptions& options) {
  return std::make_unique<BluezAdvertiser>(options);
}

}  // namespace internal

std::unique_ptr<Advertiser> MakeAdvertiser(const std::string& adapter) {
  internal::ScannerOptions options;
  options.adapter = adapter;
  return internal::MakeAdvertiser(options);
}

}  // namespace blemon::bluez
