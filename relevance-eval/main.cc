// relevance-eval: measures ranking on judged queries, beside plain BM25.
//
//   relevance-eval --bundle BUNDLE --queries relevance/medquad-heldout.jsonl
//                  [--ranking_config config/ranking.json] [--search_address HOST:PORT]
//                  [--min_hit10 X --min_mrr10 Y]
//
// Prints hit@1, hit@3, hit@10, MRR@10 and nDCG@10 per query group and overall
// for our search (in-process, or the service at --search_address) and for
// plain BM25 over the same records (Xapian defaults: one unprefixed text
// field, English stemming, no stopwords, BM25Weight()), then the queries
// where ours ranks the right answer lower than the baseline does.
#include <grpcpp/grpcpp.h>
#include <xapian.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/usage.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_join.h>

#include "common/bundle.h"
#include "common/record_store.h"
#include "healthsearch/v1/search_service.grpc.pb.h"
#include "relevance-eval/relevance_metrics.h"
#include "search-service/searcher.h"

ABSL_FLAG(std::string, bundle, "", "Bundle to evaluate (and to build the baseline from)");
ABSL_FLAG(std::vector<std::string>, queries, {}, "Judged query files (JSON Lines), comma-separated");
ABSL_FLAG(std::string, ranking_config, "", "Ranking configuration for in-process search");
ABSL_FLAG(std::string, search_address, "", "Evaluate this search-service instead of in-process");
ABSL_FLAG(bool, baseline, true, "Also evaluate plain BM25 over the same records");
ABSL_FLAG(double, min_hit10, 0, "Exit 1 if overall hit@10 is below this");
ABSL_FLAG(double, min_mrr10, 0, "Exit 1 if overall MRR@10 is below this");
ABSL_FLAG(int, show_worse, 30, "List at most this many queries that rank worse than the baseline");

namespace healthsearch {
namespace {

namespace fs = std::filesystem;

using Ranker = std::function<absl::StatusOr<std::vector<std::string>>(const std::string&)>;

// Plain BM25 over every record of the bundle: the engine a portal gets from
// Xapian's defaults.
class BaselineIndex {
 public:
  static absl::StatusOr<std::unique_ptr<BaselineIndex>> Build(const BundleVersion& bundle,
                                                              const fs::path& dir) {
    absl::StatusOr<RecordStoreReader> store = RecordStoreReader::Open(bundle.records_path());
    if (!store.ok()) return store.status();
    Xapian::WritableDatabase db(dir.string(), Xapian::DB_CREATE_OR_OVERWRITE);
    Xapian::TermGenerator generator;
    generator.set_stemmer(Xapian::Stem("english"));
    auto add = [&](const std::string& id, const std::vector<std::string>& texts) {
      Xapian::Document doc;
      generator.set_document(doc);
      for (const std::string& text : texts) {
        generator.index_text(text);
        generator.increase_termpos();
      }
      doc.set_data(id);
      doc.add_boolean_term("Q" + id);
      db.replace_document("Q" + id, doc);
    };
    for (std::string after;;) {
      absl::StatusOr<std::vector<v1::Condition>> page = store->ListConditions({}, after, 1000);
      if (!page.ok()) return page.status();
      if (page->empty()) break;
      for (const v1::Condition& c : *page) {
        std::vector<std::string> texts = {c.name(), c.summary()};
        texts.insert(texts.end(), c.also_called().begin(), c.also_called().end());
        for (const v1::Symptom& s : c.symptoms()) texts.push_back(s.name());
        for (const v1::Section& s : c.sections()) texts.push_back(s.heading() + " " + s.text());
        add(c.id(), texts);
      }
      after = page->back().id();
    }
    for (std::string after;;) {
      absl::StatusOr<std::vector<v1::Article>> page = store->ListArticles({}, after, 1000);
      if (!page.ok()) return page.status();
      if (page->empty()) break;
      for (const v1::Article& a : *page) {
        std::vector<std::string> texts = {a.title(), a.summary()};
        texts.insert(texts.end(), a.also_called().begin(), a.also_called().end());
        for (const v1::Section& s : a.sections()) texts.push_back(s.heading() + " " + s.text());
        add(a.id(), texts);
      }
      after = page->back().id();
    }
    db.commit();
    return std::unique_ptr<BaselineIndex>(new BaselineIndex(Xapian::Database(dir.string())));
  }

  std::vector<std::string> Rank(const std::string& query) {
    Xapian::QueryParser parser;
    parser.set_database(db_);
    parser.set_stemmer(Xapian::Stem("english"));
    parser.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    Xapian::Query parsed;
    try {
      parsed = parser.parse_query(query);
    } catch (const Xapian::QueryParserError&) {
      parsed = parser.parse_query(query, 0);
    }
    Xapian::Enquire enquire(db_);
    enquire.set_query(parsed);
    Xapian::MSet mset = enquire.get_mset(0, kEvalDepth);
    std::vector<std::string> ids;
    for (auto it = mset.begin(); it != mset.end(); ++it) ids.push_back(it.get_document().get_data());
    return ids;
  }

 private:
  explicit BaselineIndex(Xapian::Database db) : db_(std::move(db)) {}
  Xapian::Database db_;
};

std::vector<std::string> IdsOf(const v1::SearchResponse& response) {
  std::vector<std::string> ids;
  for (const v1::SearchResult& result : response.results()) ids.push_back(result.id());
  return ids;
}

struct Evaluation {
  std::map<std::string, MetricsSummary> by_group;  // "" is overall
  std::vector<QueryOutcome> outcomes;              // in query order
};

absl::StatusOr<Evaluation> Evaluate(const std::vector<eval::JudgedQuery>& queries,
                                    const Ranker& rank) {
  Evaluation evaluation;
  for (const eval::JudgedQuery& query : queries) {
    absl::StatusOr<std::vector<std::string>> ids = rank(query.query());
    if (!ids.ok()) return ids.status();
    QueryOutcome outcome = ScoreRanking(
        *ids, std::vector<std::string>(query.relevant().begin(), query.relevant().end()));
    evaluation.by_group[""].Add(outcome);
    evaluation.by_group[query.group()].Add(outcome);
    evaluation.outcomes.push_back(outcome);
  }
  return evaluation;
}

std::string Row(const MetricsSummary& m) {
  return absl::StrFormat("%.3f | %.3f | %.3f | %.3f | %.3f", m.hit_at(1), m.hit_at(3),
                         m.hit_at(10), m.mrr(), m.ndcg());
}

int Run() {
  const std::string bundle_path = absl::GetFlag(FLAGS_bundle);
  std::vector<eval::JudgedQuery> queries;
  for (const std::string& file : absl::GetFlag(FLAGS_queries)) {
    absl::StatusOr<std::vector<eval::JudgedQuery>> loaded = LoadJudgedQueries(file);
    if (!loaded.ok()) {
      std::fprintf(stderr, "relevance-eval: %s\n", std::string(loaded.status().message()).c_str());
      return 2;
    }
    queries.insert(queries.end(), loaded->begin(), loaded->end());
  }
  if (bundle_path.empty() || queries.empty()) {
    std::fprintf(stderr, "relevance-eval: --bundle and --queries are required (see --help)\n");
    return 2;
  }
  absl::StatusOr<BundleVersion> bundle = ResolveBundle(bundle_path);
  if (!bundle.ok()) {
    std::fprintf(stderr, "relevance-eval: %s\n", std::string(bundle.status().message()).c_str());
    return 2;
  }

  Ranker ours;
  std::unique_ptr<Searcher> searcher;
  std::unique_ptr<v1::SearchService::Stub> stub;
  auto request_for = [](const std::string& query) {
    v1::SearchRequest request;
    request.set_query(query);
    request.set_page_size(kEvalDepth);
    return request;
  };
  if (const std::string address = absl::GetFlag(FLAGS_search_address); !address.empty()) {
    stub = v1::SearchService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    ours = [&](const std::string& query) -> absl::StatusOr<std::vector<std::string>> {
      grpc::ClientContext context;
      v1::SearchResponse response;
      grpc::Status status = stub->Search(&context, request_for(query), &response);
      if (!status.ok()) return absl::UnavailableError(status.error_message());
      return IdsOf(response);
    };
  } else {
    config::RankingConfig ranking;
    if (const std::string path = absl::GetFlag(FLAGS_ranking_config); !path.empty()) {
      absl::StatusOr<config::RankingConfig> loaded = LoadRankingConfig(path);
      if (!loaded.ok()) {
        std::fprintf(stderr, "relevance-eval: %s\n", std::string(loaded.status().message()).c_str());
        return 2;
      }
      ranking = *std::move(loaded);
    }
    absl::StatusOr<std::unique_ptr<Searcher>> opened = Searcher::Open(bundle_path, ranking);
    if (!opened.ok()) {
      std::fprintf(stderr, "relevance-eval: %s\n", std::string(opened.status().message()).c_str());
      return 2;
    }
    searcher = *std::move(opened);
    ours = [&](const std::string& query) -> absl::StatusOr<std::vector<std::string>> {
      absl::StatusOr<v1::SearchResponse> response = searcher->Search(request_for(query));
      if (!response.ok()) return response.status();
      return IdsOf(*response);
    };
  }

  absl::StatusOr<Evaluation> evaluation = Evaluate(queries, ours);
  if (!evaluation.ok()) {
    std::fprintf(stderr, "relevance-eval: search failed: %s\n",
                 std::string(evaluation.status().message()).c_str());
    return 1;
  }
  std::optional<Evaluation> baseline;
  if (absl::GetFlag(FLAGS_baseline)) {
    const fs::path dir = fs::temp_directory_path() / absl::StrCat("relevance-baseline-", ::getpid());
    absl::StatusOr<std::unique_ptr<BaselineIndex>> index = BaselineIndex::Build(*bundle, dir);
    if (!index.ok()) {
      std::fprintf(stderr, "relevance-eval: baseline: %s\n", std::string(index.status().message()).c_str());
      return 2;
    }
    absl::StatusOr<Evaluation> result =
        Evaluate(queries, [&](const std::string& q) -> absl::StatusOr<std::vector<std::string>> {
          return (*index)->Rank(q);
        });
    std::error_code ignored;
    fs::remove_all(dir, ignored);
    if (!result.ok()) return 1;
    baseline = *std::move(result);
  }

  std::printf("| group | queries | engine | hit@1 | hit@3 | hit@10 | MRR@10 | nDCG@10 |\n");
  std::printf("|---|---:|---|---:|---:|---:|---:|---:|\n");
  for (const auto& [group, summary] : evaluation->by_group) {
    const std::string name = group.empty() ? "**all**" : group;
    std::printf("| %s | %d | healthsearch | %s |\n", name.c_str(), summary.count(), Row(summary).c_str());
    if (baseline) {
      std::printf("| %s | %d | plain BM25 | %s |\n", name.c_str(), summary.count(),
                  Row(baseline->by_group.at(group)).c_str());
    }
  }
  if (baseline) {
    int shown = 0;
    std::printf("\nQueries where healthsearch ranks the right answer lower than plain BM25:\n");
    for (size_t i = 0; i < queries.size(); ++i) {
      const int ours_rank = evaluation->outcomes[i].first_relevant_rank;
      const int base_rank = baseline->outcomes[i].first_relevant_rank;
      const bool worse = base_rank > 0 && (ours_rank == 0 || ours_rank > base_rank);
      if (!worse) continue;
      if (shown++ < absl::GetFlag(FLAGS_show_worse)) {
        std::printf("- [%s] rank %s vs %d: %s\n", queries[i].group().c_str(),
                    ours_rank == 0 ? ">10" : std::to_string(ours_rank).c_str(), base_rank,
                    queries[i].query().c_str());
      }
    }
    std::printf("(%d in all)\n", shown);
  }

  const MetricsSummary& overall = evaluation->by_group.at("");
  if (overall.hit_at(10) < absl::GetFlag(FLAGS_min_hit10) ||
      overall.mrr() < absl::GetFlag(FLAGS_min_mrr10)) {
    std::printf("\nFAIL: hit@10 %.3f (minimum %.3f), MRR@10 %.3f (minimum %.3f)\n",
                overall.hit_at(10), absl::GetFlag(FLAGS_min_hit10), overall.mrr(),
                absl::GetFlag(FLAGS_min_mrr10));
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace healthsearch

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Measures ranking on judged queries beside plain BM25.");
  absl::ParseCommandLine(argc, argv);
  return healthsearch::Run();
}
