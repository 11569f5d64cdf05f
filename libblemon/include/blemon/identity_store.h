#pragma once

// The identities of known devices as the central store keeps them (table identities, schema
// version 5): what `blemon-admin identity add/list/remove` manage. The processor reads them inside
// its processing transaction (each store's ProcessInterval), not through this port. Monitors never
// need the keys. Used from one thread at a time; failures are the exceptions of blemon/errors.h.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "blemon/identity.h"
#include "blemon/time.h"

namespace blemon {

struct StoredIdentity {
  std::int64_t identity_id = 0;
  std::string name;
  Irk irk = Irk::FromBytes({});
  // False until one of the identity's addresses resolved, or when the owner did not say which
  // byte order the key was pasted in; the processor then tries both and pins the one that works.
  bool byte_order_known = false;
  // The ble_devices row the identity's sightings go to (nullopt until its first address resolved)
  // and that row's MAC: the first resolvable private address of the identity blemon resolved.
  std::optional<std::int64_t> device_id;
  std::optional<std::string> device_mac;
  UtcTime created_at;
};

// Longest identity name, in characters (the column is VARCHAR(100) / TEXT).
inline constexpr std::size_t kMaxIdentityNameLength = 100;

class IdentityStore {
 public:
  virtual ~IdentityStore() = default;
  IdentityStore() = default;
  IdentityStore(const IdentityStore&) = delete;
  IdentityStore& operator=(const IdentityStore&) = delete;

  // Enrols a device. Throws Refused when `name` is taken (the message names it) or when another
  // identity already has the same key in either byte order (it names that identity).
  virtual StoredIdentity AddIdentity(const std::string& name, const Irk& irk,
                                     bool byte_order_known) = 0;
  // Every identity, ordered by name.
  virtual std::vector<StoredIdentity> Identities() = 0;
  // Forgets the identity (its device row and sightings stay); false when no identity has `name`.
  virtual bool RemoveIdentity(const std::string& name) = 0;
};

}  // namespace blemon
