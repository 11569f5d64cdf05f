#pragma once

// Drives the python-dbusmock BlueZ of the `bluez_mock` fixture (tests/peers/bluez.cmake) over its
// private bus: adapters, devices, adverts, injected faults, and a crash-and-restart of the mock.
// Test-only; it talks to the mock the way BlueZ's own tests would, through D-Bus, on its own
// connection (the scanner under test has its own).

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace blemon::bluez::testing {

using PropertyMap = std::map<std::string, sdbus::Variant>;

inline constexpr char kBluez[] = "org.bluez";
inline constexpr char kMockInterface[] = "org.freedesktop.DBus.Mock";
inline constexpr char kBluezMockInterface[] = "org.bluez.Mock";
inline constexpr char kAdapter1[] = "org.bluez.Adapter1";
inline constexpr char kDevice1[] = "org.bluez.Device1";
inline constexpr char kObjectManager[] = "org.freedesktop.DBus.ObjectManager";
inline constexpr char kProperties[] = "org.freedesktop.DBus.Properties";
inline constexpr char kTestInterface[] = "org.blemon.Test";

inline std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF", as BlueZ and the mock name device objects.
inline std::string DevicePath(const std::string& adapter, std::string address) {
  for (char& c : address) {
    if (c == ':') c = '_';
  }
  return "/org/bluez/" + adapter + "/dev_" + address;
}

class BluezMock {
 public:
  BluezMock() { Connect(); }

  static bool Configured() { return !Env("DBUS_SYSTEM_BUS_ADDRESS").empty(); }

  // Back to the template's initial state: no adapters, no devices, no injected faults.
  void Reset() { Call("/", kMockInterface, "Reset"); }

  std::string AddAdapter(const std::string& name) {
    std::string path;
    Proxy("/")
        ->callMethod("AddAdapter")
        .onInterface(kBluezMockInterface)
        .withArguments(name, std::string("blemon-test"))
        .storeResultsTo(path);
    return path;
  }

  void RemoveAdapter(const std::string& name) {
    Proxy("/")->callMethod("RemoveAdapter").onInterface(kBluezMockInterface).withArguments(name);
  }

  // The stock template's device: public address, RSSI -79, Name and Alias `alias`, and empty
  // advertising properties of the wrong container types. Announced with InterfacesAdded.
  std::string AddDevice(const std::string& adapter, const std::string& address,
                        const std::string& alias) {
    std::string path;
    Proxy("/")
        ->callMethod("AddDevice")
        .onInterface(kBluezMockInterface)
        .withArguments(adapter, address, alias)
        .storeResultsTo(path);
    return path;
  }

  // A device object with exactly `properties` on Device1 (plus Address and Adapter). With
  // `announce` it is announced with InterfacesAdded carrying those properties, as BlueZ does when
  // it first hears a device; without, it sits there silently like a device cached from earlier.
  std::string AddDeviceWithProperties(const std::string& adapter, const std::string& address,
                                      PropertyMap properties, bool announce) {
    const std::string path = DevicePath(adapter, address);
    properties.emplace("Address", sdbus::Variant(address));
    properties.emplace("Adapter", sdbus::Variant(sdbus::ObjectPath("/org/bluez/" + adapter)));
    std::vector<sdbus::Struct<std::string, std::string, std::string, std::string>> no_methods;
    Proxy("/")
        ->callMethod("AddObject")
        .onInterface(kMockInterface)
        .withArguments(path, std::string(kDevice1), properties, no_methods);
    if (announce) {
      std::map<std::string, PropertyMap> interfaces{{kDevice1, properties}};
      std::vector<sdbus::Variant> args{sdbus::Variant(sdbus::ObjectPath(path)),
                                       sdbus::Variant(interfaces)};
      Proxy("/")
          ->callMethod("EmitSignal")
          .onInterface(kMockInterface)
          .withArguments(std::string(kObjectManager), std::string("InterfacesAdded"),
                         std::string("oa{sa{sv}}"), args);
    }
    return path;
  }

  // Changes Device1 properties and emits one PropertiesChanged carrying them, like an advert.
  void UpdateDevice(const std::string& device_path, const PropertyMap& changed) {
    Proxy(device_path)
        ->callMethod("UpdateProperties")
        .onInterface(kMockInterface)
        .withArguments(std::string(kDevice1), changed);
  }

  // Emits one PropertiesChanged carrying `changed` without storing it in the mock: for values
  // dbusmock's UpdateProperties cannot wrap (dictionaries such as ManufacturerData).
  void EmitDeviceChange(const std::string& device_path, const PropertyMap& changed) {
    std::vector<sdbus::Variant> args{sdbus::Variant(std::string(kDevice1)), sdbus::Variant(changed),
                                     sdbus::Variant(std::vector<std::string>{})};
    Proxy(device_path)
        ->callMethod("EmitSignal")
        .onInterface(kMockInterface)
        .withArguments(std::string(kProperties), std::string("PropertiesChanged"),
                       std::string("sa{sv}as"), args);
  }

  void Advertise(const std::string& device_path, std::int16_t rssi) {
    UpdateDevice(device_path, {{"RSSI", sdbus::Variant(rssi)}});
  }

  // Adapter1.RemoveDevice, which emits InterfacesRemoved for the device.
  void RemoveDevice(const std::string& adapter, const std::string& device_path) {
    Proxy("/org/bluez/" + adapter)
        ->callMethod("RemoveDevice")
        .onInterface(kAdapter1)
        .withArguments(sdbus::ObjectPath(device_path));
  }

  // Properties.Set, which the mock answers with PropertiesChanged.
  void SetAdapterProperty(const std::string& adapter, const std::string& name,
                          const sdbus::Variant& value) {
    Proxy("/org/bluez/" + adapter)
        ->callMethod("Set")
        .onInterface(kProperties)
        .withArguments(std::string(kAdapter1), name, value);
  }

  // Replaces an adapter method with Python code run by the mock (see dbusmock's AddMethod).
  void ReplaceAdapterMethod(const std::string& adapter, const std::string& method,
                            const std::string& in_signature, const std::string& python) {
    Proxy("/org/bluez/" + adapter)
        ->callMethod("AddMethod")
        .onInterface(kMockInterface)
        .withArguments(std::string(kAdapter1), method, in_signature, std::string(""), python);
  }

  // Makes `method` fail with a D-Bus error, as bluetoothd or the bus policy would.
  void FailAdapterMethod(const std::string& adapter, const std::string& method,
                         const std::string& in_signature, const std::string& error_name,
                         bool then_discovering = false) {
    std::string code;
    if (then_discovering) code += "self.props['org.bluez.Adapter1']['Discovering'] = True\n";
    code +=
        "raise dbus.exceptions.DBusException('injected by the test', name='" + error_name + "')";
    ReplaceAdapterMethod(adapter, method, in_signature, code);
  }

  // Adds a method to the mock's root object, on interface org.blemon.Test, running `python`
  // (dbusmock's AddMethod: `args`, `objects`, `dbus` are in scope). For scripted bursts.
  void AddRootMethod(const std::string& name, const std::string& in_signature,
                     const std::string& python) {
    Proxy("/")
        ->callMethod("AddMethod")
        .onInterface(kMockInterface)
        .withArguments(std::string(kTestInterface), name, in_signature, std::string(""), python);
  }

  template <typename... Args>
  void CallRootMethod(const std::string& name, const Args&... args) {
    Proxy("/")->callMethod(name).onInterface(kTestInterface).withArguments(args...);
  }

  bool Discovering(const std::string& adapter) {
    sdbus::Variant value;
    Proxy("/org/bluez/" + adapter)
        ->callMethod("Get")
        .onInterface(kProperties)
        .withArguments(std::string(kAdapter1), std::string("Discovering"))
        .storeResultsTo(value);
    return value.get<bool>();
  }

  // Waits until the scanner under test has started discovery on `adapter`.
  bool WaitForDiscovering(const std::string& adapter,
                          std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        if (Discovering(adapter)) return true;
      } catch (const sdbus::Error&) {
        // The adapter may not exist yet or the mock may be restarting.
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  // bluetoothd crashing: the mock is SIGKILLed and org.bluez has no owner until StartMock.
  static bool KillMock() { return RunPeer("kill-mock"); }
  // bluetoothd coming back, with no adapters (AddAdapter again).
  bool StartMock() {
    const bool started = RunPeer("start-mock");
    Connect();
    return started;
  }

 private:
  static bool RunPeer(const std::string& command) {
    const std::string line =
        Env("BLEMON_TEST_BLUEZ_PEER") + " " + command + " " + Env("BLEMON_TEST_BLUEZ_DIR");
    return std::system(line.c_str()) == 0;
  }

  void Connect() {
    proxies_.clear();  // they refer to the old connection
    connection_ = sdbus::createSystemBusConnection();
  }

  sdbus::IProxy* Proxy(const std::string& path) {
    auto& proxy = proxies_[path];
    if (!proxy) proxy = sdbus::createProxy(*connection_, kBluez, path);
    return proxy.get();
  }

  void Call(const std::string& path, const char* interface, const char* method) {
    Proxy(path)->callMethod(method).onInterface(interface);
  }

  std::unique_ptr<sdbus::IConnection> connection_;
  std::map<std::string, std::unique_ptr<sdbus::IProxy>> proxies_;
};

}  // namespace blemon::bluez::testing
