'''bluetoothd mock for blemon's tests: python-dbusmock's bluez5 template, plus
org.bluez.LEAdvertisingManager1 on every adapter, behaving as BlueZ 5.66's.

RegisterAdvertisement(o, a{sv}) reads the advertisement's properties back from
the caller over the bus (org.freedesktop.DBus.Properties.GetAll on
org.bluez.LEAdvertisement1) before it answers, as bluetoothd does, so a client
that does not serve its object while the call is pending fails the same way it
would against the real daemon. It checks Type, and that the advertisement fits
the 31 bytes of a legacy advertisement (org.bluez.Error.InvalidLength
otherwise). A client leaving the bus loses its advertisements.

Test controls, on the root object's org.bluez.Mock interface:
  SetAdvertising(s adapter, s mode, n selected_tx_power)
      mode "accept" (the default), "full" (org.bluez.Error.NotPermitted
      "Maximum advertisements reached"), "not-supported"
      (org.bluez.Error.NotSupported) or "absent" (the adapter loses its
      LEAdvertisingManager1 interface, as an adapter without LE has none).
      selected_tx_power other than 127: written into the advertisement's
      TxPower property while registering, as bluetoothd 5.56+ does with the
      power the controller selected.
  Advertisements(s adapter) -> a(ssa{sv})
      (owner, object path, properties as read at registration) of each
      registered advertisement.
  AdvertisingLog(s adapter) -> as
      "register OWNER PATH", "refuse OWNER PATH NAME", "unregister OWNER PATH",
      "release OWNER PATH", "dropped OWNER PATH" (the client left the bus).
  ReleaseAdvertisements(s adapter)
      calls Release on every advertisement and forgets it, as bluetoothd does
      when the adapter goes away.
'''

import dbus
import dbus.service

from dbusmock import OBJECT_MANAGER_IFACE, mockobject
from dbusmock.templates import bluez5 as stock
# The stock template's methods: AddTemplate picks up every D-Bus method of this module.
from dbusmock.templates.bluez5 import *  # noqa: F401,F403 pylint: disable=wildcard-import,unused-wildcard-import

BLUEZ_MOCK_IFACE = stock.BLUEZ_MOCK_IFACE
LE_ADVERTISING_MANAGER_IFACE = 'org.bluez.LEAdvertisingManager1'
LE_ADVERTISEMENT_IFACE = 'org.bluez.LEAdvertisement1'
PROPERTIES_IFACE = 'org.freedesktop.DBus.Properties'
BASE_UUID_SUFFIX = '-0000-1000-8000-00805f9b34fb'
LEGACY_ADVERTISING_BYTES = 31
NO_TX_POWER = 127


def load(mock, parameters):
    stock.load(mock, parameters)


def _error(name, message):
    return dbus.exceptions.DBusException(message, name='org.bluez.Error.' + name)


def _uuid_bytes(uuid):
    '''How many bytes the UUID takes in advertising data (16-bit for the Bluetooth base).'''
    uuid = str(uuid).lower()
    if uuid.endswith(BASE_UUID_SUFFIX) and uuid.startswith('0000'):
        return 2
    return 16


def _advertising_bytes(props):
    '''The length of the advertising data bluetoothd would build from `props`.'''
    length = 3 if props.get('Type') == 'peripheral' else 0  # flags
    if 'tx-power' in [str(i) for i in props.get('Includes', [])]:
        length += 3
    uuids = props.get('ServiceUUIDs', [])
    if uuids:
        length += 2 + sum(_uuid_bytes(u) for u in uuids)
    for uuid, data in props.get('ServiceData', {}).items():
        length += 2 + _uuid_bytes(uuid) + len(data)
    for _company, data in props.get('ManufacturerData', {}).items():
        length += 4 + len(data)
    if 'LocalName' in props:
        length += 2 + len(str(props['LocalName']).encode())
    return length


def _check(props):
    '''bluetoothd's checks of an advertisement: None when it is acceptable.'''
    if props.get('Type') not in ('broadcast', 'peripheral'):
        return _error('InvalidArguments', f'Type must be broadcast or peripheral, got {props.get("Type")!r}')
    service_data = props.get('ServiceData', {})
    if not isinstance(service_data, dict):
        return _error('InvalidArguments', 'ServiceData must be a{sv}')
    for value in service_data.values():
        if not isinstance(value, dbus.Array) or value.signature != 'y':
            return _error('InvalidArguments', 'ServiceData values must be ay')
    if _advertising_bytes(props) > LEGACY_ADVERTISING_BYTES:
        return _error('InvalidLength', f'Advertising data too long ({_advertising_bytes(props)} bytes)')
    tx_power = props.get('TxPower')
    if tx_power is not None and not -127 <= int(tx_power) <= 20:
        return _error('InvalidArguments', f'TxPower out of range: {int(tx_power)}')
    return None


class _Advertising:
    '''The LEAdvertisingManager1 methods; in a class so AddTemplate does not put them on the root.'''

    @staticmethod
    @dbus.service.method(LE_ADVERTISING_MANAGER_IFACE, in_signature='oa{sv}', out_signature='',
                         sender_keyword='sender', connection_keyword='connection',
                         async_callbacks=('reply', 'fail'))
    def RegisterAdvertisement(adapter, path, _options, sender=None, connection=None, reply=None,
                              fail=None):
        key = (str(sender), str(path))
        refusal = None
        if adapter.advertising_mode == 'full':
            refusal = _error('NotPermitted', 'Maximum advertisements reached')
        elif adapter.advertising_mode == 'not-supported':
            refusal = _error('NotSupported', 'Operation is not supported')
        elif key in adapter.advertisements:
            refusal = _error('AlreadyExists', 'Already Exists')
        if refusal is not None:
            adapter.advertising_log.append(f'refuse {key[0]} {key[1]} {refusal.get_dbus_name()}')
            fail(refusal)
            return

        def got_properties(props):
            problem = _check(props)
            if problem is not None:
                adapter.advertising_log.append(f'refuse {key[0]} {key[1]} {problem.get_dbus_name()}')
                fail(problem)
                return
            adapter.advertisements[key] = props
            adapter.advertising_log.append(f'register {key[0]} {key[1]}')
            _watch_owner(adapter, connection, key[0])
            if adapter.selected_tx_power != NO_TX_POWER:
                # Sent before the reply, as bluetoothd does from its MGMT callback.
                connection.call_async(key[0], key[1], PROPERTIES_IFACE, 'Set', 'ssv',
                                      [LE_ADVERTISEMENT_IFACE, 'TxPower',
                                       dbus.Int16(adapter.selected_tx_power)],
                                      None, None)
            reply()

        def failed(error):
            adapter.advertising_log.append(f'refuse {key[0]} {key[1]} org.bluez.Error.Failed')
            fail(_error('Failed', f'Failed to read the advertisement: {error}'))

        connection.call_async(key[0], key[1], PROPERTIES_IFACE, 'GetAll', 's',
                              [LE_ADVERTISEMENT_IFACE], got_properties, failed, timeout=5)

    @staticmethod
    @dbus.service.method(LE_ADVERTISING_MANAGER_IFACE, in_signature='o', out_signature='',
                         sender_keyword='sender')
    def UnregisterAdvertisement(adapter, path, sender=None):
        key = (str(sender), str(path))
        if key not in adapter.advertisements:
            raise _error('DoesNotExist', 'Does Not Exist')
        del adapter.advertisements[key]
        adapter.advertising_log.append(f'unregister {key[0]} {key[1]}')


def _watch_owner(adapter, connection, owner):
    '''bluetoothd forgets a client's advertisements when the client leaves the bus.'''
    if owner in adapter.watched_owners:
        return
    adapter.watched_owners.add(owner)

    def owner_changed(new_owner):
        if new_owner:
            return
        for key in [k for k in adapter.advertisements if k[0] == owner]:
            del adapter.advertisements[key]
            adapter.advertising_log.append(f'dropped {key[0]} {key[1]}')

    adapter.owner_watches.append(connection.watch_name_owner(owner, owner_changed))


def _manager_properties():
    return {
        'ActiveInstances': dbus.Byte(0, variant_level=1),
        'SupportedInstances': dbus.Byte(5, variant_level=1),
        'SupportedIncludes': dbus.Array(['tx-power', 'appearance', 'local-name'], signature='s',
                                        variant_level=1),
    }


def _add_advertising_manager(adapter):
    adapter.AddProperties(LE_ADVERTISING_MANAGER_IFACE, _manager_properties())
    methods = adapter.methods.setdefault(LE_ADVERTISING_MANAGER_IFACE, {})
    for method in (_Advertising.RegisterAdvertisement, _Advertising.UnregisterAdvertisement):
        methods[method.__name__] = (method._dbus_in_signature, method._dbus_out_signature, '', method)


def _adapter(name):
    path = '/org/bluez/' + name
    if path not in mockobject.objects:
        raise dbus.exceptions.DBusException(f'Adapter {name} does not exist.',
                                            name=BLUEZ_MOCK_IFACE + '.NoSuchAdapter')
    return mockobject.objects[path]


@dbus.service.method(BLUEZ_MOCK_IFACE, in_signature='ss', out_signature='s')
def AddAdapter(self, device_name, system_name):
    '''The stock adapter, with an LEAdvertisingManager1 that accepts advertisements.'''
    path = stock.AddAdapter(self, device_name, system_name)
    adapter = mockobject.objects[path]
    adapter.advertising_mode = 'accept'
    adapter.selected_tx_power = NO_TX_POWER
    adapter.advertisements = {}
    adapter.advertising_log = []
    adapter.watched_owners = set()
    adapter.owner_watches = []
    _add_advertising_manager(adapter)
    mockobject.objects['/'].EmitSignal(OBJECT_MANAGER_IFACE, 'InterfacesAdded', 'oa{sa{sv}}', [
        dbus.ObjectPath(path), {LE_ADVERTISING_MANAGER_IFACE: _manager_properties()}])
    return path


@dbus.service.method(BLUEZ_MOCK_IFACE, in_signature='ssn', out_signature='')
def SetAdvertising(_self, adapter_name, mode, selected_tx_power):
    if mode not in ('accept', 'full', 'not-supported', 'absent'):
        raise dbus.exceptions.DBusException(f'unknown advertising mode {mode}',
                                            name=BLUEZ_MOCK_IFACE + '.InvalidArguments')
    adapter = _adapter(adapter_name)
    adapter.advertising_mode = mode
    adapter.selected_tx_power = int(selected_tx_power)
    if mode == 'absent' and LE_ADVERTISING_MANAGER_IFACE in adapter.props:
        del adapter.props[LE_ADVERTISING_MANAGER_IFACE]
        del adapter.methods[LE_ADVERTISING_MANAGER_IFACE]
        mockobject.objects['/'].EmitSignal(OBJECT_MANAGER_IFACE, 'InterfacesRemoved', 'oas', [
            dbus.ObjectPath(adapter.path), [LE_ADVERTISING_MANAGER_IFACE]])


@dbus.service.method(BLUEZ_MOCK_IFACE, in_signature='s', out_signature='a(ssa{sv})')
def Advertisements(_self, adapter_name):
    adapter = _adapter(adapter_name)
    return [(owner, path, dbus.Dictionary(props, signature='sv'))
            for (owner, path), props in adapter.advertisements.items()]


@dbus.service.method(BLUEZ_MOCK_IFACE, in_signature='s', out_signature='as')
def AdvertisingLog(_self, adapter_name):
    return dbus.Array(_adapter(adapter_name).advertising_log, signature='s')


@dbus.service.method(BLUEZ_MOCK_IFACE, in_signature='s', out_signature='')
def ReleaseAdvertisements(_self, adapter_name):
    adapter = _adapter(adapter_name)
    for owner, path in list(adapter.advertisements):
        adapter.connection.call_async(owner, path, LE_ADVERTISEMENT_IFACE, 'Release', '', [], None, None)
        del adapter.advertisements[(owner, path)]
        adapter.advertising_log.append(f'release {owner} {path}')
