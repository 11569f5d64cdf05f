// The Scanner port over BlueZ's D-Bus API (org.bluez on the system bus), with sdbus-c++ 1.2.
//
// Each Scan() opens its own bus connection and closes it at the end. That makes "the next scan
// reconnects" automatic after bluetoothd or dbus-daemon restarts, and it is also BlueZ's own
// clean-up: bluetoothd ends a client's discovery session when the client leaves the bus, so even
// a scan that could not call StopDiscovery leaves no discovery running behind it.
//
// One scan: subscribe to org.bluez's signals and to NameOwnerChanged(org.bluez) → GetNameOwner →
// GetManagedObjects (find the adapter, check Powered, remember cached devices) →
// SetDiscoveryFilter{Transport "le", DuplicateData true, RSSI -127} → StartDiscovery → listen for
// the window → StopDiscovery. Only InterfacesAdded and PropertiesChanged that carry RSSI count as
// adverts: a device BlueZ merely still caches is not a reading. The RSSI filter matters: without
// it BlueZ reports an RSSI only when it moved by 8 dB or more; with it, every advert.
//
// Everything runs on the caller's thread: the connection has no event loop thread, we poll its
// fd ourselves, so signal handlers never race the code that reads their results.

#include "blemon/bluez/bluez_scanner.h"

#include <fmt/format.h>
#include <poll.h>
#include <sdbus-c++/sdbus-c++.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "blemon/reading.h"
#include "bus_support.h"
#include "device_properties.h"
#include "scanner_options.h"

namespace blemon::bluez {
namespace {

using internal::AdapterInfo;
using internal::BluezNotRunning;
using internal::BusTimeout;
using internal::CurrentUser;
using internal::DeviceState;
using internal::DeviceUpdate;
using internal::ExplainBusError;
using internal::InterfaceMap;
using internal::kAdapterInterface;
using internal::kBluezService;
using internal::kBusPath;
using internal::kBusService;
using internal::kDeviceInterface;
using internal::kObjectManagerInterface;
using internal::kPropertiesInterface;
using internal::kSdbusCppError;
using internal::PropertyMap;
using internal::ScannerOptions;
using internal::SystemBusAddress;

// A fault that ends the scan early; what() is the message the user sees.
class ScanAborted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string PoweredOff(std::string_view adapter) {
  return fmt::format(
      "Bluetooth adapter {} is powered off: run `rfkill unblock bluetooth`, then "
      "`bluetoothctl power on`",
      adapter);
}

// Explain's half for the errors BlueZ itself replies with (org.bluez.Error.*), and the fallback
// that names any other error as it came.
std::string ExplainBluezError(const std::string& name, const std::string& message,
                              std::string_view call, std::string_view subject) {
  if (name == "org.bluez.Error.NotReady") {
    return fmt::format(
        "{}: Bluetooth adapter {} is not ready ({}): it is powering up, or blocked; run "
        "`rfkill unblock bluetooth`, then `bluetoothctl power on`",
        call, subject, message);
  }
  if (name == "org.bluez.Error.InProgress") {
    return fmt::format(
        "{}: another discovery operation is in progress on {} ({}); retrying next scan", call,
        subject, message);
  }
  if (name == "org.bluez.Error.NotSupported" || name == "org.bluez.Error.InvalidArguments") {
    return fmt::format(
        "{}: BlueZ refused LE discovery with a filter ({}): blemon needs BlueZ 5.50 or newer and "
        "a Bluetooth LE controller",
        call, message);
  }
  if (name == "org.bluez.Error.Failed") {
    return fmt::format("{}: BlueZ reported a failure ({}): see `journalctl -u bluetooth`", call,
                       message);
  }
  return fmt::format("{} failed: {}: {}", call, name, message);
}

// The one translator from sdbus::Error to words a user can act on. `call` names what we were
// doing ("StartDiscovery on hci0"), `adapter` the adapter in use (may be empty).
std::string Explain(const sdbus::Error& error, std::string_view call, std::string_view adapter) {
  const std::string_view subject = adapter.empty() ? std::string_view("the adapter") : adapter;
  if (auto explained = ExplainBusError(error.getName(), error.getMessage(), call, subject)) {
    return *std::move(explained);
  }
  return ExplainBluezError(error.getName(), error.getMessage(), call, subject);
}

// Wakes poll() when the caller requests a stop, so Scan returns at once rather than at the end of
// the window.
class StopWaker final {
 public:
  explicit StopWaker(const std::stop_token& stop)
      : event_{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)}, callback_(stop, Wake{event_.fd}) {}
  StopWaker(const StopWaker&) = delete;
  StopWaker& operator=(const StopWaker&) = delete;

  int fd() const { return event_.fd; }

 private:
  struct EventFd {
    int fd;
    ~EventFd() {
      if (fd >= 0) ::close(fd);
    }
  };
  struct Wake {
    int fd;
    void operator()() const noexcept {
      const std::uint64_t one = 1;
      [[maybe_unused]] const auto written = ::write(fd, &one, sizeof one);
    }
  };
  // Members are destroyed in reverse order: the callback is deregistered (waiting for a stop
  // request running it on another thread) before the descriptor it writes to is closed.
  EventFd event_;
  std::stop_callback<Wake> callback_;
};

// What BlueZ said during one scan, recorded as its signals arrive: the adapter's devices (by
// object path), the adverts heard, and why the scan must end early, if it must. The handlers
// only record; they never throw, since they are called from inside sd-bus's C code.
class ScanRecord final {
 public:
  // The unique name of bluetoothd's connection: only its signals count.
  void SetBluezOwner(std::string owner) { bluez_owner_ = std::move(owner); }
  // The adapter in use; until it is set, no BlueZ signal counts.
  void SetAdapter(AdapterInfo adapter) { adapter_ = std::move(adapter); }
  const AdapterInfo& adapter() const { return adapter_; }
  // Set by a handler: end the scan now, with this error.
  const std::optional<std::string>& abort() const { return abort_; }
  const ScanAggregator& aggregator() const { return aggregator_; }
  // Adverts that carried the blemon service UUID with service data that did not parse.
  int ignored_beacons() const { return ignored_beacons_; }

  // Cached devices (from GetManagedObjects): known by address and type, but not heard until an
  // advert says so.
  void AddCachedDevices(const std::map<sdbus::ObjectPath, InterfaceMap>& objects) {
    for (const auto& [path, interfaces] : objects) {
      const auto device = interfaces.find(kDeviceInterface);
      if (device != interfaces.end() && IsOurDevice(path)) {
        OnDeviceProperties(path, device->second, /*heard=*/false);
      }
    }
  }

  // Any signal from org.bluez: adverts, devices appearing, the adapter vanishing or switched off.
  void OnBluezSignal(sdbus::Message& message) noexcept {
    try {
      // A signal still queued from a bluetoothd that has since been replaced is not ours.
      if (message.getSender() != bluez_owner_ || adapter_.path.empty()) return;
      const std::string interface = message.getInterfaceName();
      const std::string member = message.getMemberName();
      if (interface == kObjectManagerInterface && member == "InterfacesAdded") {
        OnInterfacesAdded(message);
      } else if (interface == kObjectManagerInterface && member == "InterfacesRemoved") {
        OnInterfacesRemoved(message);
      } else if (interface == kPropertiesInterface && member == "PropertiesChanged") {
        OnPropertiesChanged(message);
      }
    } catch (...) {
      // A signal whose body does not match its documented signature: ignore it, keep scanning.
    }
  }

  // NameOwnerChanged for org.bluez: bluetoothd leaving the bus or replaced ends the scan.
  void OnOwnerChanged(sdbus::Message& message) noexcept {
    try {
      std::string name, old_owner, new_owner;
      message >> name >> old_owner >> new_owner;
      if (name != kBluezService || new_owner == bluez_owner_) return;
      abort_ = new_owner.empty()
                   ? "bluetoothd left the system bus during the scan (stopped or crashed); kept "
                     "what was heard until then"
                   : "bluetoothd restarted during the scan; kept what was heard until then";
    } catch (...) {
      // Not the NameOwnerChanged we subscribed to.
    }
  }

 private:
  bool IsOurDevice(std::string_view path) const {
    return path.size() > adapter_.path.size() + 1 &&
           path.substr(0, adapter_.path.size()) == adapter_.path &&
           path[adapter_.path.size()] == '/';
  }

  void OnDeviceProperties(const std::string& path, const PropertyMap& properties, bool heard) {
    const DeviceUpdate update = internal::ParseDeviceProperties(properties);
    auto [device, inserted] = devices_.try_emplace(path);
    if (inserted && !update.address) {
      // A device we have no snapshot of (it cannot normally happen: we subscribe before the
      // snapshot): its path still tells the address; the type stays unknown (public).
      if (auto address = internal::AddressFromDevicePath(path)) device->second.address = *address;
    }
    device->second.Apply(update);
    if (heard && update.rssi_present) aggregator_.Add(device->second.ToAdvert(update.rssi));
    if (heard && update.beacon_malformed) ++ignored_beacons_;
  }

  // A device BlueZ had not cached until now: its first advert.
  void OnInterfacesAdded(sdbus::Message& message) {
    sdbus::ObjectPath path;
    InterfaceMap interfaces;
    message >> path >> interfaces;
    const auto device = interfaces.find(kDeviceInterface);
    if (device != interfaces.end() && IsOurDevice(path)) {
      OnDeviceProperties(path, device->second, /*heard=*/true);
    }
  }

  // A removed device keeps the reading it already has; only the adapter matters here.
  void OnInterfacesRemoved(sdbus::Message& message) {
    sdbus::ObjectPath path;
    std::vector<std::string> interfaces;
    message >> path >> interfaces;
    if (path == adapter_.path &&
        std::find(interfaces.begin(), interfaces.end(), kAdapterInterface) != interfaces.end()) {
      abort_ = fmt::format(
          "Bluetooth adapter {} disappeared during the scan (unplugged, or bluetoothd "
          "restarted); kept what was heard until then",
          adapter_.name);
    }
  }

  // A device's changed properties (an advert when RSSI is among them), or our adapter switched
  // off.
  void OnPropertiesChanged(sdbus::Message& message) {
    const std::string path = message.getPath();
    std::string changed_interface;
    PropertyMap changed;
    message >> changed_interface >> changed;
    if (changed_interface == kDeviceInterface && IsOurDevice(path)) {
      OnDeviceProperties(path, changed, /*heard=*/true);
    } else if (changed_interface == kAdapterInterface && path == adapter_.path) {
      const auto powered = changed.find("Powered");
      if (powered != changed.end() && internal::ReadBool(powered->second) == false) {
        abort_ = PoweredOff(adapter_.name) + " (it was switched off during the scan)";
      }
    }
  }

  std::string bluez_owner_;  // unique name of bluetoothd's connection
  AdapterInfo adapter_;
  std::map<std::string, DeviceState> devices_;  // by object path
  ScanAggregator aggregator_;
  int ignored_beacons_ = 0;
  std::optional<std::string> abort_;
};

// One scan on one bus connection: the calls that set BlueZ up, listening for the window, and
// the calls that stop it; what the signals say goes to a ScanRecord.
class ScanSession final {
 public:
  ScanSession(const ScannerOptions& options, std::stop_token stop)
      : options_(options), stop_(std::move(stop)) {}
  ScanSession(const ScanSession&) = delete;
  ScanSession& operator=(const ScanSession&) = delete;

  // Never throws: every fault ends up in the result's error.
  ScanResult Run(Seconds window) {
    setup_deadline_ = std::chrono::steady_clock::now() + options_.call_timeout;
    try {
      Connect();
      Subscribe();
      FindBluez();
      LoadObjects();
      if (!stop_.stop_requested()) {
        SetDiscoveryFilter();
        StartDiscovery();
        Listen(window);
        // After bluetoothd left or the adapter vanished there is nobody to stop; closing the
        // connection ends our discovery session anyway.
        if (!record_.abort()) StopDiscovery();
      }
    } catch (const ScanAborted& e) {
      error_ = e.what();
    } catch (const sdbus::Error& e) {
      error_ = Explain(e, "listening to BlueZ", Adapter().name);
    } catch (const std::exception& e) {
      error_ = fmt::format("BlueZ scan failed unexpectedly: {}", e.what());
    }
    if (!error_ && record_.abort()) error_ = record_.abort();

    ScanResult result;
    result.readings = record_.aggregator().Readings();
    result.stats = record_.aggregator().stats();
    result.stats.ignored_beacons = record_.ignored_beacons();
    result.error = std::move(error_);
    return result;
  }

 private:
  void Connect() {
    try {
      connection_ = sdbus::createSystemBusConnection();
    } catch (const sdbus::Error& e) {
      throw ScanAborted(
          fmt::format("cannot connect to the D-Bus system bus at {} ({}): is dbus running "
                      "(`systemctl status dbus`)?",
                      SystemBusAddress(), e.getMessage()));
    }
    // AddMatch and the bus handshake are calls too: they draw on the same setup budget.
    connection_->setMethodCallTimeout(
        static_cast<std::uint64_t>(std::chrono::microseconds(SetupTimeLeft()).count()));
  }

  // Subscribes before anything is read, so nothing BlueZ says after our snapshot is missed.
  void Subscribe() {
    try {
      bluez_slot_ = connection_->addMatch(fmt::format("type='signal',sender='{}'", kBluezService),
                                          [this](sdbus::Message& m) { record_.OnBluezSignal(m); });
      owner_slot_ = connection_->addMatch(
          fmt::format(
              "type='signal',sender='{}',path='{}',interface='{}',member='NameOwnerChanged',"
              "arg0='{}'",
              kBusService, kBusPath, kBusService, kBluezService),
          [this](sdbus::Message& m) { record_.OnOwnerChanged(m); });
    } catch (const sdbus::Error& e) {
      if (e.getName().empty() || e.getName() == kSdbusCppError) {
        throw ScanAborted(fmt::format(
            "cannot talk on the D-Bus system bus at {} ({}): is dbus running (`systemctl status "
            "dbus`), and may this user connect?",
            SystemBusAddress(), e.getMessage()));
      }
      throw ScanAborted(Explain(e, "subscribing to BlueZ signals", ""));
    }
  }

  void FindBluez() {
    auto bus = sdbus::createProxy(*connection_, kBusService, kBusPath);
    std::string bluez_owner;
    try {
      bus->callMethod("GetNameOwner")
          .onInterface(kBusService)
          .withTimeout(SetupTimeLeft())
          .withArguments(std::string(kBluezService))
          .storeResultsTo(bluez_owner);
    } catch (const sdbus::Error& e) {
      throw ScanAborted(Explain(e, "looking for BlueZ on the system bus", ""));
    }
    record_.SetBluezOwner(std::move(bluez_owner));
  }

  void LoadObjects() {
    std::map<sdbus::ObjectPath, InterfaceMap> objects;
    auto root = sdbus::createProxy(*connection_, kBluezService, "/");
    try {
      root->callMethod("GetManagedObjects")
          .onInterface(kObjectManagerInterface)
          .withTimeout(SetupTimeLeft())
          .storeResultsTo(objects);
    } catch (const sdbus::Error& e) {
      throw ScanAborted(Explain(e, "listing BlueZ's adapters (GetManagedObjects)", ""));
    }

    std::vector<std::string> available;
    auto adapter = internal::FindAdapter(objects, options_.adapter, &available);
    if (!adapter) {
      if (available.empty()) {
        throw ScanAborted(
            "no Bluetooth adapter found: BlueZ runs but has no controller; check `bluetoothctl "
            "list`, `rfkill list` and `dmesg | grep -i bluetooth`");
      }
      std::string names;
      for (const auto& n : available) names += (names.empty() ? "" : ", ") + n;
      throw ScanAborted(fmt::format(
          "Bluetooth adapter {} not found (BlueZ has: {}): set [monitor] adapter to one of "
          "those, or leave it empty for the first",
          options_.adapter, names));
    }
    record_.SetAdapter(std::move(*adapter));
    if (Adapter().powered == false) throw ScanAborted(PoweredOff(Adapter().name));
    record_.AddCachedDevices(objects);
    adapter_proxy_ = sdbus::createProxy(*connection_, kBluezService, Adapter().path);
  }

  void SetDiscoveryFilter() {
    const std::map<std::string, sdbus::Variant> filter{
        {"Transport", sdbus::Variant(std::string("le"))},
        {"DuplicateData", sdbus::Variant(true)},
        {"RSSI", sdbus::Variant(static_cast<std::int16_t>(kMinRssi))},
    };
    try {
      adapter_proxy_->callMethod("SetDiscoveryFilter")
          .onInterface(kAdapterInterface)
          .withTimeout(SetupTimeLeft())
          .withArguments(filter);
    } catch (const sdbus::Error& e) {
      throw ScanAborted(Explain(e, Doing("SetDiscoveryFilter"), Adapter().name));
    }
  }

  void StartDiscovery() {
    try {
      adapter_proxy_->callMethod("StartDiscovery")
          .onInterface(kAdapterInterface)
          .withTimeout(SetupTimeLeft());
    } catch (const sdbus::Error& e) {
      // InProgress: the adapter is busy with a discovery operation. If it is discovering (another
      // client's session) the adverts come all the same; if not, nothing was started and the
      // window would pass in silence: "Found 0 devices" about a radio that never listened.
      if (e.getName() == "org.bluez.Error.InProgress" && AdapterDiscovering()) return;
      throw ScanAborted(Explain(e, Doing("StartDiscovery"), Adapter().name));
    }
  }

  // The adapter's Discovering property, read now; false when it cannot be read.
  bool AdapterDiscovering() {
    sdbus::Variant value;
    try {
      adapter_proxy_->callMethod("Get")
          .onInterface(kPropertiesInterface)
          .withTimeout(SetupTimeLeft())
          .withArguments(std::string(kAdapterInterface), std::string("Discovering"))
          .storeResultsTo(value);
    } catch (const sdbus::Error&) {
      return false;
    }
    return value.peekValueType() == "b" && value.get<bool>();
  }

  void StopDiscovery() {
    try {
      adapter_proxy_->callMethod("StopDiscovery")
          .onInterface(kAdapterInterface)
          .withTimeout(options_.call_timeout);
    } catch (const sdbus::Error&) {
      // The readings are complete; closing the connection ends the discovery session anyway.
    }
  }

  void Listen(Seconds window) {
    const auto deadline = std::chrono::steady_clock::now() + window;
    const StopWaker waker(stop_);
    for (;;) {
      while (!record_.abort() && connection_->processPendingRequest()) {
      }
      if (record_.abort() || stop_.stop_requested()) return;
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return;

      const auto data = connection_->getEventLoopPollData();
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
      if (const auto bus_timeout = BusTimeout(data)) wait = std::min(wait, *bus_timeout);
      pollfd fds[2] = {{data.fd, data.events, 0}, {waker.fd(), POLLIN, 0}};
      const nfds_t count = waker.fd() >= 0 ? 2 : 1;
      if (::poll(fds, count, static_cast<int>(wait.count())) < 0 && errno != EINTR) {
        throw ScanAborted(
            fmt::format("waiting for BlueZ signals failed: {}", std::strerror(errno)));
      }
    }
  }

  // Everything before the window shares one call_timeout, so a slow but answering bluetoothd
  // cannot stretch the setup to several timeouts. Never zero: sd-bus reads 0 as "its default".
  std::chrono::milliseconds SetupTimeLeft() const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        setup_deadline_ - std::chrono::steady_clock::now());
    return std::max(left, std::chrono::milliseconds(1));
  }

  const AdapterInfo& Adapter() const { return record_.adapter(); }

  std::string Doing(std::string_view method) const {
    return fmt::format("{} on {}", method, Adapter().name);
  }

  const ScannerOptions& options_;
  std::stop_token stop_;
  std::chrono::steady_clock::time_point setup_deadline_;
  // Declared before the subscriptions that write to it, so it outlives them.
  ScanRecord record_;
  // Declared before everything that refers to the connection, so it is destroyed last.
  std::unique_ptr<sdbus::IConnection> connection_;
  sdbus::Slot bluez_slot_;
  sdbus::Slot owner_slot_;
  std::unique_ptr<sdbus::IProxy> adapter_proxy_;

  std::optional<std::string> error_;
};

class BluezScanner final : public Scanner {
 public:
  explicit BluezScanner(ScannerOptions options) : options_(std::move(options)) {}

  ScanResult Scan(Seconds window, std::stop_token stop) override {
    ScanSession session(options_, std::move(stop));
    return session.Run(window);
  }

 private:
  const ScannerOptions options_;
};

}  // namespace

namespace internal {

std::unique_ptr<Scanner> MakeScanner(const ScannerOptions& options) {
  return std::make_unique<BluezScanner>(options);
}

}  // namespace internal

std::unique_ptr<Scanner> MakeScanner(const std::string& adapter) {
  internal::ScannerOptions options;
  options.adapter = adapter;
  return internal::MakeScanner(options);
}

}  // namespace blemon::bluez
