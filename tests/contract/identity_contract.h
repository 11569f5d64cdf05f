#pragma once

// The identity contract suite (identity_contract.cc): the IdentityStore port and the processor's
// resolution of private addresses, on every store. A backend instantiates it like AStore:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, AnIdentityStore, ::testing::Values(&MakeSqliteHarness));

#include <memory>
#include <random>
#include <string>

#include "blemon/identity_store.h"
#include "store_contract.h"

namespace blemon::testing {

// The admin side and the processing side on one store: the fixture is AStore's (a fresh store,
// its helpers), plus the identity port.
class AnIdentityStore : public AStore {
 protected:
  void SetUp() override {
    AStore::SetUp();
    identities_ = harness_->OpenIdentities();
  }
  std::string Scalar(const std::string& sql) { return harness_->QueryScalar(sql); }

  std::unique_ptr<IdentityStore> identities_;
  std::mt19937_64 random_{20261201};
};

}  // namespace blemon::testing
