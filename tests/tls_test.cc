// TLS and mutual TLS between the CLI and both services, with a throwaway CA
// made by the openssl command.
#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/subprocess.h"
#include "testing/test_support.h"
#include "tests/serving_test_support.h"

namespace healthsearch {
namespace {

namespace fs = std::filesystem;
using ::healthsearch::testing::BinaryDir;
using ::healthsearch::testing::PublishWithIndexer;
using ::healthsearch::testing::RunProgram;
using ::healthsearch::testing::SampleCorpusDir;
using ::healthsearch::testing::ServiceProcess;
using ::healthsearch::testing::TempDir;
using ::healthsearch::testing::WriteTextFile;
using ::testing::HasSubstr;

constexpr char kOpenssl[] = "/usr/bin/openssl";

// A CA, and a server certificate for 127.0.0.1 and a client certificate it signed.
class Certificates {
 public:
  explicit Certificates(const fs::path& dir) : dir_(dir) {
    Run({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "1", "-subj",
         "/CN=healthsearch test CA"});
    Issue("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    Issue("client", "extendedKeyUsage=clientAuth\n");
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  void Issue(const std::string& name, const std::string& extensions) {
    WriteTextFile(dir_ / (name + ".ext"), extensions);
    Run({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
         path(name + ".key"), "-out", path(name + ".csr"), "-subj", "/CN=" + name});
    Run({"x509", "-req", "-in", path(name + ".csr"), "-CA", path("ca.pem"), "-CAkey",
         path("ca.key"), "-CAcreateserial", "-out", path(name + ".pem"), "-days", "1", "-extfile",
         path(name + ".ext")});
  }

  void Run(const std::vector<std::string>& args) {
    std::string output;
    ASSERT_EQ(RunProgram(kOpenssl, args, &output), 0) << output;
  }

  fs::path dir_;
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kOpenssl)) GTEST_SKIP() << "no openssl command (scripts/install-deps build)";
    ASSERT_FALSE(PublishWithIndexer(SampleCorpusDir(), bundle_).empty());
  }

  // The CLI's exit code; its output in `*output`.
  int Cli(const std::vector<std::string>& args, std::string* output) {
    std::vector<std::string> all = {"--timeout", "5s"};
    all.insert(all.end(), args.begin(), args.end());
    return RunProgram(BinaryDir() / "healthsearch", all, output);
  }

  TempDir temp_;
  const fs::path bundle_ = temp_.path() / "bundle";
  Certificates certs_{temp_.path()};
};

TEST_F(TlsTest, ClientConnectsOverTlsAndPlaintextIsRefused) {
  // Dashed flag names, as the issue spells them.
  ServiceProcess search("search-service",
                        {"--bundle", bundle_.string(), "--tls-cert", certs_.path("server.pem"),
                         "--tls-key", certs_.path("server.key")},
                        temp_.path() / "search.log");
  ASSERT_TRUE(search.WaitUntilServing()) << search.log();

  std::string output;
  EXPECT_EQ(Cli({"search", "muscle weakness", "--search_address", search.address(), "--tls-ca",
                 certs_.path("ca.pem")},
                &output),
            0)
      << output;
  EXPECT_THAT(output, HasSubstr("Polymyositis"));

  EXPECT_NE(Cli({"search", "muscle weakness", "--search_address", search.address()}, &output), 0);
  EXPECT_THAT(output, HasSubstr("UNAVAILABLE"));
  // A server certificate the client does not trust is refused too.
  EXPECT_NE(Cli({"search", "muscle weakness", "--search_address", search.address(), "--tls_ca",
                 certs_.path("client.pem")},
                &output),
            0);
}

TEST_F(TlsTest, MutualTlsRefusesClientsWithoutACertificate) {
  const std::vector<std::string> tls = {
      "--bundle",  bundle_.string(),          "--tls_cert",      certs_.path("server.pem"),
      "--tls_key", certs_.path("server.key"), "--tls_client_ca", certs_.path("ca.pem")};
  ServiceProcess search("search-service", tls, temp_.path() / "search.log");
  ServiceProcess content("content-service", tls, temp_.path() / "content.log");
  ASSERT_TRUE(search.WaitUntilServing()) << search.log();
  ASSERT_TRUE(content.WaitUntilServing()) << content.log();
  const std::vector<std::string> client_cert = {"--tls_ca",   certs_.path("ca.pem"),
                                                "--tls_cert", certs_.path("client.pem"),
                                                "--tls_key",  certs_.path("client.key")};

  std::string output;
  std::vector<std::string> args = {"search", "muscle weakness", "--search_address",
                                   search.address()};
  args.insert(args.end(), client_cert.begin(), client_cert.end());
  EXPECT_EQ(Cli(args, &output), 0) << output;
  EXPECT_THAT(output, HasSubstr("Polymyositis"));

  args = {"get", "polymyositis", "--content_address", content.address()};
  args.insert(args.end(), client_cert.begin(), client_cert.end());
  EXPECT_EQ(Cli(args, &output), 0) << output;
  EXPECT_THAT(output, HasSubstr("Polymyositis"));

  EXPECT_NE(Cli({"search", "muscle weakness", "--search_address", search.address(), "--tls_ca",
                 certs_.path("ca.pem")},
                &output),
            0);
  EXPECT_THAT(output, HasSubstr("UNAVAILABLE"));
  EXPECT_NE(Cli({"get", "polymyositis", "--content_address", content.address(), "--tls_ca",
                 certs_.path("ca.pem")},
                &output),
            0);
  EXPECT_NE(Cli({"get", "polymyositis", "--content_address", content.address()}, &output), 0);
}

TEST_F(TlsTest, ServiceRefusesToStartWithHalfATlsConfiguration) {
  ServiceProcess search("search-service",
                        {"--bundle", bundle_.string(), "--tls_cert", certs_.path("server.pem")},
                        temp_.path() / "search.log");
  EXPECT_FALSE(search.WaitUntilServing());
  EXPECT_EQ(search.process().Wait(), 1);
  EXPECT_THAT(search.log(), HasSubstr("TLS needs both a certificate and a key"));
}

}  // namespace
}  // namespace healthsearch
