// Connection settings against the throwaway server: TLS with a verified certificate, client
// certificates, password_file, the socket for "localhost", and how failures are reported.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "blemon/errors.h"
#include "blemon/mariadb/mariadb_report_store.h"
#include "blemon/mariadb/mariadb_store.h"
#include "mariadb_test_env.h"

namespace blemon::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AConnection : public ::testing::Test {
 protected:
  void SetUp() override {
    peer_ = MariaDbPeer::FromEnvironment();
    database_ = UniqueDatabaseName("conn");
    mariadb::Migrate(peer_.Admin(database_));
  }
  void TearDown() override {
    TestSql(peer_.Admin(""), false).Exec("DROP DATABASE IF EXISTS `" + database_ + "`");
  }
  // The TLS-only user, its password read from password_file, the server verified by the CA.
  DatabaseSettings Tls() const {
    DatabaseSettings s = peer_.App(database_);
    s.user = peer_.at("tls_user");
    s.password.clear();
    s.password_file = peer_.at("password_file");
    s.ssl = true;
    s.ssl_ca = peer_.at("ca_cert");
    s.ssl_verify_server_cert = true;
    return s;
  }
  static void ExpectRefused(Store& store, const std::string& fragment) {
    try {
      store.RegisterMonitor({"pi", "", ""});
      ADD_FAILURE() << "connected, expected a refusal mentioning " << fragment;
    } catch (const Refused& e) {
      EXPECT_THAT(e.what(), HasSubstr(fragment));
    }
  }

  MariaDbPeer peer_;
  std::string database_;
};

TEST_F(AConnection, WorksOverTlsWithAPasswordFileAndAVerifiedServerCertificate) {
  auto store = mariadb::OpenStore(Tls());
  EXPECT_GT(store->RegisterMonitor({"pi", "", ""}), 0);
  TestSql admin(peer_.Admin(database_));
  EXPECT_EQ(admin.Scalar("SELECT COUNT(*) FROM monitors"), "1");
}

TEST_F(AConnection, IsRefusedForTheTlsOnlyUserWithoutTls) {
  DatabaseSettings s = Tls();
  s.ssl = false;
  s.ssl_ca.clear();
  auto store = mariadb::OpenStore(s);
  ExpectRefused(*store, "access");
}

TEST_F(AConnection, RefusesAServerCertificateFromAnotherAuthority) {
  DatabaseSettings s = Tls();
  s.ssl_ca = peer_.at("bad_ca_cert");
  auto store = mariadb::OpenStore(s);
  ExpectRefused(*store, "TLS");
}

TEST_F(AConnection, LogsInWithAClientCertificateWhenTheUserRequiresOne) {
  DatabaseSettings s = Tls();
  s.user = peer_.at("x509_user");
  s.password_file.clear();
  s.password = peer_.at("password");
  auto without = mariadb::OpenStore(s);
  ExpectRefused(*without, "access");
  s.ssl_cert = peer_.at("client_cert");
  s.ssl_key = peer_.at("client_key");
  EXPECT_GT(mariadb::OpenStore(s)->RegisterMonitor({"pi", "", ""}), 0);
}

TEST_F(AConnection, NamesAnUnreadablePasswordFile) {
  DatabaseSettings s = Tls();
  s.password_file = "/nonexistent/blemon-password";
  auto store = mariadb::OpenStore(s);
  ExpectRefused(*store, "/nonexistent/blemon-password");
}

TEST_F(AConnection, ReportsAWrongPasswordAsRefusedAccess) {
  DatabaseSettings s = peer_.App(database_);
  s.password = "wrong";
  auto store = mariadb::OpenStore(s);
  ExpectRefused(*store, "access");
}

TEST_F(AConnection, UsesTheSocketForLocalhostAsTheMysqlClientDoes) {
  DatabaseSettings s = peer_.App(database_);
  s.host = "localhost";
  s.port = 1;  // ignored for the socket; TCP on port 1 would fail
  s.socket = peer_.at("socket");
  EXPECT_GT(mariadb::OpenStore(s)->RegisterMonitor({"pi", "", ""}), 0);
  s.socket = "/nonexistent/mysqld.sock";
  EXPECT_THROW(mariadb::OpenStore(s)->RegisterMonitor({"pi", "", ""}), Unavailable);
}

TEST_F(AConnection, ReportsAServerThatIsNotThereAsUnavailableAtOnce) {
  DatabaseSettings s = peer_.App(database_);
  s.port = 1;                          // nothing listens on 127.0.0.1:1
  auto store = mariadb::OpenStore(s);  // constructing does not connect
  const auto start = std::chrono::steady_clock::now();
  try {
    store->Heartbeat(1, true);
    FAIL() << "no server, no error";
  } catch (const Unavailable& e) {
    EXPECT_THAT(e.what(), HasSubstr("127.0.0.1:1"));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(AConnection, FailsOverToTheNextOfSeveralHostsWhenTheFirstIsNotThere) {
  DatabaseSettings s = peer_.App(database_);
  // Nothing listens on port 1: the store skips it and works on the real server, both when it
  // first connects and when it reconnects.
  s.hosts = {{"127.0.0.1", 1}, {peer_.at("host"), std::stoi(peer_.at("port"))}};
  auto store = mariadb::OpenStore(s);
  EXPECT_GT(store->RegisterMonitor({"pi", "", ""}), 0);
  EXPECT_NO_THROW(store->Heartbeat(1, true));
}

TEST_F(AConnection, ReportsAClusterWithNoHostThereAsUnavailableNamingEveryHost) {
  DatabaseSettings s = peer_.App(database_);
  s.hosts = {{"127.0.0.1", 1}, {"127.0.0.1", 2}};
  try {
    mariadb::OpenStore(s)->Heartbeat(1, true);
    FAIL() << "no server, no error";
  } catch (const Unavailable& e) {
    EXPECT_THAT(e.what(), HasSubstr("MariaDB cluster 127.0.0.1:1, 127.0.0.1:2"));
  }
}

TEST_F(AConnection, HasAdminCheckNameTheClusterWhenNoNodeServes) {
  // Not the socket hint of a lone `host = "localhost"` (the default host, unused with hosts).
  DatabaseSettings s = peer_.App(database_);
  s.host = "localhost";
  s.hosts = {{"127.0.0.1", 1}, {"127.0.0.1", 2}};
  const StoreCheck check = mariadb::OpenAdminStore(s)->Check();
  ASSERT_FALSE(check.problems.empty());
  EXPECT_THAT(check.problems[0], HasSubstr("no node of MariaDB cluster 127.0.0.1:1, 127.0.0.1:2"));
  EXPECT_THAT(check.problems[0], Not(HasSubstr("local socket")));
}

TEST_F(AConnection, DoesNotTryTheNextHostForAWrongPassword) {
  // Another node of one cluster would refuse the same way; the refusal is reported as it is.
  DatabaseSettings s = peer_.App(database_);
  s.password = "wrong";
  s.hosts = {{peer_.at("host"), std::stoi(peer_.at("port"))}, {"127.0.0.1", 1}};
  ExpectRefused(*mariadb::OpenStore(s), "access");
}

}  // namespace
}  // namespace blemon::testing
