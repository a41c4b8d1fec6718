// What both gRPC services share: listening (plaintext, TLS or mutual TLS),
// the grpc.health.v1 service, server reflection, and graceful shutdown on
// SIGTERM/SIGINT.
#ifndef HEALTHSEARCH_COMMON_GRPC_SERVING_H_
#define HEALTHSEARCH_COMMON_GRPC_SERVING_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/time.h>

namespace healthsearch {

// Largest request a service accepts; larger ones fail with RESOURCE_EXHAUSTED.
inline constexpr int kMaxReceiveMessageBytes = 4 << 20;

class GrpcServer {
 public:
  // Listens on `address` ("HOST:PORT"; port 0 picks a free one) and serves
  // `services` (not owned; they must outlive the server). The health service
  // reports `health_name` and the overall server as SERVING once started.
  // Plaintext unless `credentials` are given (see ServerCredentialsFromFiles).
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const std::string& address, const std::vector<grpc::Service*>& services,
      const std::string& health_name,
      std::shared_ptr<grpc::ServerCredentials> credentials = nullptr);

  ~GrpcServer();

  int port() const { return port_; }

  // Health turns NOT_SERVING while calls go on being served for `period`, so
  // that load balancers and health-checking clients move away first. (gRPC
  // cancels calls that have arrived but not yet started once Shutdown begins.)
  void Drain(absl::Duration period);

  // Health turns NOT_SERVING, new calls are refused, and calls in flight get
  // up to `grace` to finish before they are cancelled. Returns once the
  // server has stopped.
  void Shutdown(absl::Duration grace);

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, int port, std::string health_name)
      : server_(std::move(server)), port_(port), health_name_(std::move(health_name)) {}

  std::unique_ptr<grpc::Server> server_;
  int port_;
  std::string health_name_;
  bool shut_down_ = false;
};

// PEM files for serving over TLS. All empty: plaintext.
struct ServerTlsFiles {
  std::string cert_file;       // the server's certificate chain
  std::string key_file;        // its private key
  std::string client_ca_file;  // when set, clients must present a certificate it signed
};

// Credentials for GrpcServer::Start. INVALID_ARGUMENT when only one of cert
// and key is given or a client CA without them; NOT_FOUND naming a file that
// cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFromFiles(
    const ServerTlsFiles& files);

// PEM files for calling a service over TLS. All empty: plaintext.
struct ClientTlsFiles {
  std::string ca_file;    // roots that sign the server's certificate; system roots if empty
  std::string cert_file;  // the client's certificate chain, for mutual TLS
  std::string key_file;   // its private key
};

// Credentials for a channel: TLS when any file is given, plaintext otherwise.
// INVALID_ARGUMENT when only one of cert and key is given; NOT_FOUND naming a
// file that cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFromFiles(
    const ClientTlsFiles& files);

// The gRPC status for an internal one; the codes are the same.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts
// afterwards; call first thing in main().
void BlockTerminationSignals();

// Waits for SIGTERM or SIGINT (blocked with BlockTerminationSignals) and
// returns which arrived.
int WaitForTerminationSignal();

}  // namespace healthsearch

#endif  // HEALTHSEARCH_COMMON_GRPC_SERVING_H_
