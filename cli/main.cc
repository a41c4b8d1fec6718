// healthsearch: the command-line client.
//
//   healthsearch search "QUERY" [--json] [--page_size N] [--type condition|article]
//   healthsearch suggest PREFIX
//   healthsearch get ID
//
// Addresses come from --search_address / --content_address, or the
// HEALTHSEARCH_SEARCH_ADDRESS / HEALTHSEARCH_CONTENT_ADDRESS environment
// variables. With --bundle DIR, search and suggest run in-process on a bundle
// instead of calling the service. --tls_ca (and --tls_cert/--tls_key for
// mutual TLS) call the services over TLS.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/time/time.h>
#include <google/protobuf/util/json_util.h>

#include "common/command_line.h"
#include "common/grpc_serving.h"
#include "healthsearch/v1/content_service.grpc.pb.h"
#include "healthsearch/v1/search_service.grpc.pb.h"
#include "search-service/searcher.h"

ABSL_FLAG(std::string, search_address, "",
          "search-service HOST:PORT (default: $HEALTHSEARCH_SEARCH_ADDRESS or localhost:50051)");
ABSL_FLAG(std::string, content_address, "",
          "content-service HOST:PORT (default: $HEALTHSEARCH_CONTENT_ADDRESS or localhost:50052)");
ABSL_FLAG(std::string, bundle, "", "Search this bundle in-process instead of calling the service");
ABSL_FLAG(std::string, ranking_config, "", "With --bundle: the ranking configuration file");
ABSL_FLAG(bool, json, false, "Print one JSON object per result");
ABSL_FLAG(int, page_size, 10, "How many results");
ABSL_FLAG(std::vector<std::string>, type, {}, "Only these record types: condition, article");
ABSL_FLAG(std::vector<std::string>, category, {}, "Only these categories");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline of each call");
ABSL_FLAG(std::string, tls_ca, "",
          "Call the services over TLS, trusting this CA (PEM); system roots when only "
          "--tls_cert is given");
ABSL_FLAG(std::string, tls_cert, "", "Mutual TLS: this client's certificate chain (PEM)");
ABSL_FLAG(std::string, tls_key, "", "Mutual TLS: the private key (PEM) of --tls_cert");

namespace healthsearch {
namespace {

absl::StatusOr<std::unique_ptr<Searcher>> OpenLocalSearcher() {
  config::RankingConfig ranking;
  if (const std::string path = absl::GetFlag(FLAGS_ranking_config); !path.empty()) {
    absl::StatusOr<config::RankingConfig> loaded = LoadRankingConfig(path);
    if (!loaded.ok()) return loaded.status();
    ranking = *std::move(loaded);
  }
  return Searcher::Open(absl::GetFlag(FLAGS_bundle), ranking);
}

// A channel to `address`, over TLS when a --tls_* flag is set. Exits on
// unreadable TLS files.
std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ChannelCredentialsFromFiles({.ca_file = absl::GetFlag(FLAGS_tls_ca),
                                   .cert_file = absl::GetFlag(FLAGS_tls_cert),
                                   .key_file = absl::GetFlag(FLAGS_tls_key)});
  if (!credentials.ok()) {
    std::fprintf(stderr, "healthsearch: %s\n", std::string(credentials.status().message()).c_str());
    std::exit(2);
  }
  return grpc::CreateChannel(address, *credentials);
}

std::string Address(const std::string& flag, const char* env, const char* fallback) {
  if (!flag.empty()) return flag;
  const char* from_env = std::getenv(env);
  return from_env != nullptr && *from_env != '\0' ? from_env : fallback;
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_timeout)));
  return context;
}

std::string ToJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = pretty;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!pretty) json.erase(std::remove(json.begin(), json.end(), '\n'), json.end());
  return json;
}

int Fail(const std::string& what, const grpc::Status& status) {
  std::fprintf(stderr, "healthsearch: %s failed: %s\n", what.c_str(),
               status.error_message().c_str());
  return status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
                 status.error_code() == grpc::StatusCode::NOT_FOUND
             ? 1
             : 3;
}

grpc::Status FromAbsl(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// One SearchService call: in-process on --bundle, or to the service.
template <typename Request, typename Response>
grpc::Status CallSearchService(
    const Request& request, Response* response,
    absl::StatusOr<Response> (Searcher::*in_process)(const Request&) const,
    grpc::Status (v1::SearchService::Stub::*remote)(grpc::ClientContext*, const Request&,
                                                    Response*)) {
  if (!absl::GetFlag(FLAGS_bundle).empty()) {
    absl::StatusOr<std::unique_ptr<Searcher>> searcher = OpenLocalSearcher();
    if (!searcher.ok()) return FromAbsl(searcher.status());
    absl::StatusOr<Response> result = ((**searcher).*in_process)(request);
    if (!result.ok()) return FromAbsl(result.status());
    *response = *std::move(result);
    return grpc::Status::OK;
  }
  auto stub = v1::SearchService::NewStub(Channel(Address(
      absl::GetFlag(FLAGS_search_address), "HEALTHSEARCH_SEARCH_ADDRESS", "localhost:50051")));
  return ((*stub).*remote)(Context().get(), request, response);
}

void PrintResults(const v1::SearchResponse& response) {
  if (absl::GetFlag(FLAGS_json)) {
    for (const v1::SearchResult& result : response.results()) {
      std::printf("%s\n", ToJson(result, false).c_str());
    }
    return;
  }
  if (!response.corrected_query().empty()) {
    std::printf("Showing results for: %s\n", response.corrected_query().c_str());
  }
  std::printf("%lld matching records\n", static_cast<long long>(response.total_size()));
  int rank = 0;
  for (const v1::SearchResult& result : response.results()) {
    std::printf("\n%2d. %s  [%s, %s]  score %.2f\n", ++rank, result.title().c_str(),
                result.type() == v1::RECORD_TYPE_ARTICLE ? "article" : "condition",
                result.id().c_str(), result.score());
    std::printf("    %s\n", result.snippet().c_str());
    if (!result.matched_terms().empty()) {
      std::printf("    matched: %s (in %s)\n", absl::StrJoin(result.matched_terms(), ", ").c_str(),
                  absl::StrJoin(result.matched_fields(), ", ").c_str());
    }
    for (const std::string& explanation : result.explanations()) {
      std::printf("    %s\n", explanation.c_str());
    }
  }
}

int Search(const std::string& query) {
  v1::SearchRequest request;
  request.set_query(query);
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  for (const std::string& type : absl::GetFlag(FLAGS_type)) {
    if (type == "condition") {
      request.add_types(v1::RECORD_TYPE_CONDITION);
    } else if (type == "article") {
      request.add_types(v1::RECORD_TYPE_ARTICLE);
    } else {
      std::fprintf(stderr, "healthsearch: --type is condition or article, not \"%s\"\n",
                   type.c_str());
      return 2;
    }
  }
  for (const std::string& category : absl::GetFlag(FLAGS_category)) request.add_categories(category);

  v1::SearchResponse response;
  if (grpc::Status status = CallSearchService(request, &response, &Searcher::Search,
                                              &v1::SearchService::Stub::Search);
      !status.ok()) {
    return Fail("search", status);
  }
  PrintResults(response);
  return 0;
}

int Suggest(const std::string& prefix) {
  v1::SuggestRequest request;
  request.set_prefix(prefix);
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  v1::SuggestResponse response;
  if (grpc::Status status = CallSearchService(request, &response, &Searcher::Suggest,
                                              &v1::SearchService::Stub::Suggest);
      !status.ok()) {
    return Fail("suggest", status);
  }
  for (const v1::Suggestion& suggestion : response.suggestions()) {
    if (absl::GetFlag(FLAGS_json)) {
      std::printf("%s\n", ToJson(suggestion, false).c_str());
    } else {
      std::printf("%s\n", suggestion.text().c_str());
    }
  }
  return 0;
}

// Prints the record with this id, a condition or an article.
int Get(const std::string& id) {
  auto stub = v1::ContentService::NewStub(Channel(Address(
      absl::GetFlag(FLAGS_content_address), "HEALTHSEARCH_CONTENT_ADDRESS", "localhost:50052")));
  v1::GetConditionRequest condition_request;
  condition_request.set_id(id);
  v1::Condition condition;
  grpc::Status status = stub->GetCondition(Context().get(), condition_request, &condition);
  if (status.ok()) {
    std::printf("%s\n", ToJson(condition, !absl::GetFlag(FLAGS_json)).c_str());
    return 0;
  }
  if (status.error_code() != grpc::StatusCode::NOT_FOUND) return Fail("get", status);
  v1::GetArticleRequest article_request;
  article_request.set_id(id);
  v1::Article article;
  status = stub->GetArticle(Context().get(), article_request, &article);
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      return Fail("get", grpc::Status(grpc::StatusCode::NOT_FOUND,
                                      absl::StrCat("no condition or article with id \"", id, "\"")));
    }
    return Fail("get", status);
  }
  std::printf("%s\n", ToJson(article, !absl::GetFlag(FLAGS_json)).c_str());
  return 0;
}

}  // namespace
}  // namespace healthsearch

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "The healthsearch command-line client.\n"
      "  healthsearch search \"QUERY\" [--json] [--page_size N] [--type condition,article]\n"
      "  healthsearch suggest PREFIX\n"
      "  healthsearch get ID");
  healthsearch::AcceptDashedFlagNames(argc, argv);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 3) {
    std::fprintf(stderr, "usage: healthsearch search QUERY | suggest PREFIX | get ID (see --help)\n");
    return 2;
  }
  const std::string command = args[1];
  const std::string argument = args[2];
  if (command == "search") return healthsearch::Search(argument);
  if (command == "suggest") return healthsearch::Suggest(argument);
  if (command == "get") return healthsearch::Get(argument);
  std::fprintf(stderr, "healthsearch: unknown command \"%s\" (search, suggest or get)\n",
               command.c_str());
  return 2;
}
