// The identity contract: the IdentityStore port (blemon/identity_store.h) and the processor's
// resolution of resolvable private addresses (ProcessInterval with enrolled identities), written
// once and run on every store. The enrolled phone's addresses are made with the real
// MakeResolvablePrivateAddress, so the store resolves them with the Core specification's ah.

#include "identity_contract.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <set>

#include "blemon/errors.h"
#include "blemon/identity.h"
#include "blemon/identity_store.h"

namespace blemon::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

Irk RandomIrk(std::mt19937_64& random) {
  std::array<std::uint8_t, 16> bytes{};
  for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random());
  return Irk::FromBytes(bytes);
}

Reading PrivateReading(const MacAddress& mac, int rssi) {
  return Reading{.mac = mac,
                 .address_class = AddressClass::kResolvablePrivate,
                 .rssi = rssi,
                 .advert_count = 3,
                 .name = std::nullopt,
                 .tx_power = std::nullopt,
                 .company_ids = {},
                 .payload = {}};
}

}  // namespace

// --- the port -----------------------------------------------------------------------------------

TEST_P(AnIdentityStore, AddsListsAndRemovesAnIdentityByName) {
  const Irk irk = RandomIrk(random_);
  const StoredIdentity added = identities_->AddIdentity("Anna's phone", irk, false);
  EXPECT_EQ(added.name, "Anna's phone");
  EXPECT_EQ(added.irk, irk);
  EXPECT_FALSE(added.byte_order_known);
  EXPECT_EQ(added.device_id, std::nullopt);
  EXPECT_LE(std::chrono::abs(added.created_at - store_->StoreNow()), 60s);
  identities_->AddIdentity("Bert's watch", RandomIrk(random_), true);

  const auto listed = identities_->Identities();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name, "Anna's phone");
  EXPECT_EQ(listed[1].name, "Bert's watch");
  EXPECT_TRUE(listed[1].byte_order_known);

  EXPECT_TRUE(identities_->RemoveIdentity("Anna's phone"));
  EXPECT_FALSE(identities_->RemoveIdentity("Anna's phone"));
  ASSERT_EQ(identities_->Identities().size(), 1u);
  EXPECT_EQ(identities_->Identities()[0].name, "Bert's watch");
}

TEST_P(AnIdentityStore, KeepsTheKeyBytesExactlyIncludingZeros) {
  const Irk irk = *Irk::Parse("00112233445566778899aabbccddee00");
  identities_->AddIdentity("zeros", irk, false);
  EXPECT_EQ(identities_->Identities().at(0).irk, irk);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM identities WHERE LENGTH(irk) = 16"), "1");
}

TEST_P(AnIdentityStore, RefusesASecondIdentityOfTheSameName) {
  identities_->AddIdentity("phone", RandomIrk(random_), false);
  try {
    identities_->AddIdentity("phone", RandomIrk(random_), false);
    FAIL() << "a second 'phone' was accepted";
  } catch (const Refused& e) {
    EXPECT_THAT(e.what(), HasSubstr("'phone' exists already"));
  }
  EXPECT_EQ(identities_->Identities().size(), 1u);
}

TEST_P(AnIdentityStore, ComparesNamesExactlyOnEveryStore) {
  identities_->AddIdentity("phone", RandomIrk(random_), false);
  identities_->AddIdentity("Phone", RandomIrk(random_), false);
  EXPECT_FALSE(identities_->RemoveIdentity("PHONE"));
  EXPECT_TRUE(identities_->RemoveIdentity("Phone"));
  ASSERT_EQ(identities_->Identities().size(), 1u);
  EXPECT_EQ(identities_->Identities()[0].name, "phone");
}

TEST_P(AnIdentityStore, RefusesTheSameKeyInEitherByteOrderNamingItsIdentity) {
  const Irk irk = RandomIrk(random_);
  identities_->AddIdentity("phone", irk, false);
  for (const Irk& again : {irk, irk.Reversed()}) {
    try {
      identities_->AddIdentity("other", again, false);
      FAIL() << "the same key was accepted twice";
    } catch (const Refused& e) {
      EXPECT_THAT(e.what(), HasSubstr("'phone' already has this key"));
    }
  }
}

// --- resolution during processing ---------------------------------------------------------------

// The proof: an enrolled phone whose resolvable private address rotates every 15 minutes,
// heard by two monitors in every interval for 24 simulated hours (288 intervals), beside a
// stranger's private address and a public device. The rotation is offset from the intervals, so
// in some intervals one monitor hears the old address and the other the new one. Every one of the
// phone's addresses must resolve, and the phone must keep one device row with one sighting per
// interval that both monitors count toward.
TEST_P(AnIdentityStore, AttributesEveryRotatingAddressOfAnEnrolledPhoneToOneDevice) {
  const Irk phone = RandomIrk(random_);
  const Irk stranger = RandomIrk(random_);
  identities_->AddIdentity("phone", phone, false);
  const MonitorId kitchen = Register("kitchen");
  const MonitorId hall = Register("hall");
  constexpr int kIntervals = 24 * 12;
  const auto address_at = [&](const Irk& irk, UtcTime t) {
    const auto rotation = (t - T0() + 100s) / 900s;  // rotates at :05 past each quarter
    return MakeResolvablePrivateAddress(irk, static_cast<std::uint32_t>(rotation * 7919 + 17));
  };
  std::set<MacAddress> phone_addresses;
  const MacAddress public_device = *MacAddress::Parse("00:11:22:33:44:55");
  std::int64_t seq = 0;
  for (int i = 0; i < kIntervals; ++i) {
    const UtcTime start = T0() + i * kInterval;
    const UtcTime early = start + 10s, late = start + 200s;
    phone_addresses.insert(address_at(phone, early));
    phone_addresses.insert(address_at(phone, late));
    ASSERT_TRUE(store_->StageBatch(MakeBatch(kitchen, ++seq, start, early,
                                             {PrivateReading(address_at(phone, early), -50),
                                              PrivateReading(address_at(stranger, early), -60),
                                              MakeReading(public_device.ToString(), -70)})));
    ASSERT_TRUE(store_->StageBatch(MakeBatch(hall, ++seq, start, late,
                                             {PrivateReading(address_at(phone, late), -65),
                                              MakeReading(public_device.ToString(), -72)})));
    ProcessAll(kitchen, start);
  }

  const auto enrolled = identities_->Identities().at(0);
  ASSERT_TRUE(enrolled.device_mac.has_value()) << "the phone's addresses never resolved";
  EXPECT_TRUE(enrolled.byte_order_known);
  const std::string device = *enrolled.device_mac;
  const int resolved = std::stoi(
      Scalar("SELECT COUNT(DISTINCT mac_address) FROM sighting_staging WHERE resolved_mac = '" +
             device + "'"));
  std::printf("enrolled phone: %d of %zu addresses resolved over %d intervals (24 h)\n", resolved,
              phone_addresses.size(), kIntervals);
  EXPECT_EQ(resolved, static_cast<int>(phone_addresses.size()));
  EXPECT_GE(phone_addresses.size(), 96u);

  // One device row for the phone: the devices are the phone, the public device and the stranger's
  // addresses (which rotate too, and nobody enrolled).
  std::set<MacAddress> stranger_addresses;
  for (int i = 0; i < kIntervals; ++i) {
    stranger_addresses.insert(address_at(stranger, T0() + i * kInterval + 10s));
  }
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM ble_devices"),
            std::to_string(2 + stranger_addresses.size()));
  int phone_sightings = 0;
  for (const auto& s : AllSightings()) {
    if (s.mac.ToString() != device) continue;
    ++phone_sightings;
    EXPECT_EQ(s.sighting.monitor_id, kitchen);
    EXPECT_EQ(s.sighting.rssi, -50);
    EXPECT_EQ(s.sighting.monitors_heard, 2) << UtcLabel(s.interval_start);
    EXPECT_EQ(s.sighting.margin_db, 15) << UtcLabel(s.interval_start);
  }
  EXPECT_EQ(phone_sightings, kIntervals);
  // The raw addresses stay visible in staging.
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM sighting_staging WHERE resolved_mac IS NOT NULL AND "
                   "mac_address = resolved_mac"),
            Scalar("SELECT COUNT(*) FROM sighting_staging WHERE mac_address = '" + device + "'"));
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM sighting_staging WHERE resolved_mac IS NOT NULL AND "
                   "address_class <> 'resolvable-private'"),
            "0");
}

TEST_P(AnIdentityStore, ResolvesAKeyPastedInTheOtherByteOrderAndPinsIt) {
  const Irk phone = RandomIrk(random_);
  identities_->AddIdentity("phone", phone.Reversed(), false);
  const MonitorId kitchen = Register("kitchen");
  const MacAddress address = MakeResolvablePrivateAddress(phone, 0x123456);
  ASSERT_TRUE(
      store_->StageBatch(MakeBatch(kitchen, 1, T0(), T0() + 1s, {PrivateReading(address, -40)})));
  ProcessAll(kitchen, T0());
  const auto enrolled = identities_->Identities().at(0);
  EXPECT_TRUE(enrolled.byte_order_known);
  EXPECT_EQ(enrolled.irk, phone) << "the key was not pinned in the order that resolved";
  EXPECT_EQ(enrolled.device_mac, address.ToString());
}

TEST_P(AnIdentityStore, TriesOnlyTheGivenOrderWhenTheOwnerSaidWhichItIs) {
  const Irk phone = RandomIrk(random_);
  identities_->AddIdentity("phone", phone.Reversed(), /*byte_order_known=*/true);
  const MonitorId kitchen = Register("kitchen");
  ASSERT_TRUE(store_->StageBatch(MakeBatch(
      kitchen, 1, T0(), T0() + 1s, {PrivateReading(MakeResolvablePrivateAddress(phone, 1), -40)})));
  ProcessAll(kitchen, T0());
  EXPECT_EQ(identities_->Identities().at(0).device_id, std::nullopt);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM sighting_staging WHERE resolved_mac IS NOT NULL"), "0");
}

TEST_P(AnIdentityStore, StopsAttributingOnceTheIdentityIsRemoved) {
  const Irk phone = RandomIrk(random_);
  identities_->AddIdentity("phone", phone, false);
  const MonitorId kitchen = Register("kitchen");
  const MacAddress address = MakeResolvablePrivateAddress(phone, 0x2222);
  ASSERT_TRUE(
      store_->StageBatch(MakeBatch(kitchen, 1, T0(), T0() + 1s, {PrivateReading(address, -40)})));
  ProcessAll(kitchen, T0());
  ASSERT_TRUE(identities_->RemoveIdentity("phone"));
  // The same address in the next interval: the processor's cache must not remember the identity.
  const MacAddress next = MakeResolvablePrivateAddress(phone, 0x3333);
  ASSERT_TRUE(
      store_->StageBatch(MakeBatch(kitchen, 2, T0() + kInterval, T0() + kInterval + 1s,
                                   {PrivateReading(address, -40), PrivateReading(next, -41)})));
  ProcessAll(kitchen, T0() + kInterval);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM sighting_staging WHERE resolved_mac IS NOT NULL"), "1");
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM ble_devices"), "2");
}

TEST_P(AnIdentityStore, AttributesAnAddressEnrolledAfterTheProcessorCachedItAsNobodys) {
  const Irk phone = RandomIrk(random_);
  identities_->AddIdentity("someone else", RandomIrk(random_), false);
  const MonitorId kitchen = Register("kitchen");
  const MacAddress address = MakeResolvablePrivateAddress(phone, 0x4444);
  ASSERT_TRUE(
      store_->StageBatch(MakeBatch(kitchen, 1, T0(), T0() + 1s, {PrivateReading(address, -40)})));
  ProcessAll(kitchen, T0());
  identities_->AddIdentity("phone", phone, false);
  ASSERT_TRUE(store_->StageBatch(MakeBatch(kitchen, 2, T0() + kInterval, T0() + kInterval + 1s,
                                           {PrivateReading(address, -40)})));
  ProcessAll(kitchen, T0() + kInterval);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM sighting_staging WHERE resolved_mac IS NOT NULL"), "1");
}

TEST_P(AnIdentityStore, ResolvesNothingUnderALeaseItDoesNotHold) {
  const Irk phone = RandomIrk(random_);
  identities_->AddIdentity("phone", phone, false);
  const MonitorId kitchen = Register("kitchen");
  ASSERT_TRUE(store_->StageBatch(MakeBatch(
      kitchen, 1, T0(), T0() + 1s, {PrivateReading(MakeResolvablePrivateAddress(phone, 9), -40)})));
  const LeaseAnswer lease = store_->ClaimLease(kitchen, Seconds(600));
  ASSERT_TRUE(lease.granted);
  EXPECT_THROW(store_->ProcessInterval(T0(), kitchen, lease.epoch + 1), LeaseLost);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM sighting_staging WHERE resolved_mac IS NOT NULL"), "0");
  EXPECT_FALSE(identities_->Identities().at(0).byte_order_known);
}

}  // namespace blemon::testing
