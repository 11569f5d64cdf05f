// The processor's address -> identity resolution with its cache (blemon/identity.h). No crypto
// here: the keys are tried through IrkResolver, whose AES call lives in identity.cc.

#include <algorithm>
#include <map>

#include "blemon/identity.h"

namespace blemon {

AddressAttributor::AddressAttributor(std::size_t capacity, Seconds lifetime)
    : capacity_(std::max<std::size_t>(capacity, 1)),
      lifetime_(lifetime),
      resolver_(std::make_unique<IrkResolver>(std::vector<Irk>{})) {}

AddressAttributor::~AddressAttributor() = default;

void AddressAttributor::SetIdentities(std::vector<KnownIdentity> identities) {
  if (identities == identities_ && resolver_) return;
  identities_ = std::move(identities);
  std::vector<Irk> keys;
  key_owner_.clear();
  for (const KnownIdentity& identity : identities_) {
    keys.push_back(identity.irk);
    key_owner_.push_back({.identity_id = identity.identity_id, .reversed = false});
    if (!identity.byte_order_known) {
      keys.push_back(identity.irk.Reversed());
      key_owner_.push_back({.identity_id = identity.identity_id, .reversed = true});
    }
  }
  resolver_ = std::make_unique<IrkResolver>(std::move(keys));
  // What was cached was decided against other keys: a new identity may claim an address cached as
  // nobody's, a removed one must not keep its addresses.
  entries_.clear();
  recency_.clear();
}

std::vector<std::optional<Attribution>> AddressAttributor::Attribute(
    std::span<const MacAddress> addresses, UtcTime now) {
  Expire(now);
  std::vector<std::optional<Attribution>> result(addresses.size());
  std::vector<MacAddress> unknown;
  std::vector<std::size_t> unknown_at;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    const auto found = entries_.find(addresses[i]);
    if (found == entries_.end()) {
      unknown.push_back(addresses[i]);
      unknown_at.push_back(i);
      continue;
    }
    ++hits_;
    result[i] = found->second.attribution;
    found->second.last_used = std::max(found->second.last_used, now);
    recency_.splice(recency_.begin(), recency_, found->second.position);
  }
  if (unknown.empty()) return result;
  const auto owners = resolver_->Resolve(unknown);
  for (std::size_t u = 0; u < unknown.size(); ++u) {
    std::optional<Attribution> attribution;
    if (owners[u]) attribution = key_owner_[*owners[u]];
    result[unknown_at[u]] = attribution;
    Remember(unknown[u], attribution, now);
  }
  return result;
}

void AddressAttributor::Remember(const MacAddress& address, std::optional<Attribution> attribution,
                                 UtcTime now) {
  if (entries_.contains(address)) return;  // the same address twice in one call
  while (entries_.size() >= capacity_) {
    entries_.erase(recency_.back());
    recency_.pop_back();
  }
  recency_.push_front(address);
  entries_.emplace(address, Entry{attribution, now, recency_.begin()});
}

void AddressAttributor::Expire(UtcTime now) {
  // Oldest-used entries sit at the back; intervals may come out of order (a late one replayed),
  // so stop at the first entry still within its lifetime rather than assume strict order.
  while (!recency_.empty()) {
    const auto found = entries_.find(recency_.back());
    if (now - found->second.last_used <= lifetime_) break;
    entries_.erase(found);
    recency_.pop_back();
  }
}

std::vector<IdentityAssignment> AssignAddresses(AddressAttributor& attributor,
                                                const std::vector<EnrolledIdentity>& identities,
                                                std::span<const MacAddress> addresses,
                                                UtcTime interval) {
  std::vector<KnownIdentity> known;
  std::map<std::int64_t, const EnrolledIdentity*> by_id;
  for (const EnrolledIdentity& identity : identities) {
    known.push_back(identity.known);
    by_id.emplace(identity.known.identity_id, &identity);
  }
  attributor.SetIdentities(std::move(known));
  if (identities.empty()) return {};
  const auto attributions = attributor.Attribute(addresses, interval);
  std::map<std::int64_t, IdentityAssignment> assignments;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    if (!attributions[i]) continue;
    const EnrolledIdentity& identity = *by_id.at(attributions[i]->identity_id);
    IdentityAssignment& assignment = assignments[identity.known.identity_id];
    assignment.identity_id = identity.known.identity_id;
    assignment.addresses.push_back(addresses[i]);
    if (!identity.known.byte_order_known) {
      assignment.learned_key =
          attributions[i]->reversed ? identity.known.irk.Reversed() : identity.known.irk;
    }
  }
  std::vector<IdentityAssignment> result;
  for (auto& [id, assignment] : assignments) {
    auto& heard = assignment.addresses;
    std::sort(heard.begin(), heard.end());
    heard.erase(std::unique(heard.begin(), heard.end()), heard.end());
    const auto& device_mac = by_id.at(id)->device_mac;
    assignment.device_is_new = !device_mac;
    assignment.device_mac = device_mac.value_or(heard.front());
    result.push_back(std::move(assignment));
  }
  return result;
}

}  // namespace blemon
