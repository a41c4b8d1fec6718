#include "indexer/index_builder.h"

#include <xapian.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <filesystem>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/clock.h>

#include "common/bundle.h"
#include "common/corpus_reader.h"
#include "common/record_store.h"
#include "common/text_analysis.h"
#include "healthsearch/bundle/document_data.pb.h"
#include "indexer/knowledge_base.h"

namespace healthsearch {
namespace {

// Indexes `text` under `prefix`, each occurrence counting once, and in the
// unprefixed text, each counting `weight`.
void IndexField(Xapian::TermGenerator& generator, const std::string& text, const char* prefix,
                Xapian::termcount weight) {
  if (text.empty()) return;
  generator.index_text(text, 1, prefix);
  generator.index_text(text, weight);
  generator.increase_termpos();
}

// As IndexField, but the prefixed occurrences count `weight` too.
void IndexWeightedField(Xapian::TermGenerator& generator, const std::string& text,
                        const char* prefix, Xapian::termcount weight) {
  if (text.empty()) return;
  generator.index_text(text, weight, prefix);
  generator.index_text(text, weight);
  generator.increase_termpos();
}

// Body text goes only into the unprefixed text (see text::BodyWdf).
void IndexBody(Xapian::TermGenerator& generator, const std::string& text) {
  if (text.empty()) return;
  generator.index_text(text, text::kBodyWeight);
  generator.increase_termpos();
}

// The bytes of summary and section text a record brings to the index.
template <typename Record>
size_t IndexedTextBytes(const Record& record) {
  size_t bytes = record.summary().size();
  for (const v1::Section& section : record.sections()) {
    bytes += section.heading().size() + section.text().size();
  }
  return bytes;
}

// The start of a record's summary and section texts: the first good passage
// is nearly always there.
template <typename Record>
std::string SnippetSource(const Record& record) {
  std::string text(text::TruncatedText(record.summary(), text::kSnippetSourceBytes));
  for (const v1::Section& section : record.sections()) {
    if (text.size() + 1 >= text::kSnippetSourceBytes) break;
    if (!text.empty()) text += ' ';
    absl::StrAppend(&text,
                    text::TruncatedText(section.text(), text::kSnippetSourceBytes - text.size()));
  }
  return text;
}

bundle::DocumentData DocumentDataOf(const v1::Condition& condition) {
  bundle::DocumentData data;
  data.set_id(condition.id());
  data.set_title(condition.name());
  data.set_snippet_source(SnippetSource(condition));
  data.mutable_also_called()->CopyFrom(condition.also_called());
  for (const v1::Symptom& symptom : condition.symptoms()) {
    data.add_symptoms(symptom.also_called().empty()
                          ? symptom.name()
                          : absl::StrCat(symptom.name(), " (", symptom.also_called(0), ")"));
  }
  return data;
}

bundle::DocumentData DocumentDataOf(const v1::Article& article) {
  bundle::DocumentData data;
  data.set_id(article.id());
  data.set_title(article.title());
  data.set_snippet_source(SnippetSource(article));
  return data;
}

Xapian::termcount SymptomWeight(const v1::Symptom& symptom) {
  if (!symptom.has_frequency_percent()) return text::kSymptomWeight;
  const double fraction = std::clamp(symptom.frequency_percent() / 100.0, 0.0, 1.0);
  return 1 + static_cast<Xapian::termcount>(std::lround(fraction * (text::kMaxSymptomWeight - 1)));
}

void AddCommonValues(Xapian::Document& doc, const char* type, const std::string& title,
                     const v1::Source& source) {
  doc.add_boolean_term(text::BooleanTerm(text::kTypePrefix, type));
  doc.add_value(text::kTypeSlot, type);
  doc.add_value(text::kSortNameSlot, text::AsciiLower(title));
  if (!source.name().empty()) {
    doc.add_boolean_term(text::BooleanTerm(text::kSourcePrefix, source.name()));
    doc.add_value(text::kSourceSlot, source.name());
  }
}

// The profile's names and symptoms, in the profile field, weighted like the
// record's own symptoms.
void IndexProfile(const knowledge::ConditionProfile& profile, Xapian::TermGenerator& generator) {
  IndexField(generator, profile.name(), text::kAlsoCalledPrefix, text::kAlsoCalledWeight);
  for (const std::string& name : profile.also_called()) {
    IndexField(generator, name, text::kAlsoCalledPrefix, text::kAlsoCalledWeight);
  }
  for (const v1::Symptom& symptom : profile.symptoms()) {
    const Xapian::termcount weight = SymptomWeight(symptom);
    IndexWeightedField(generator, symptom.name(), text::kProfilePrefix, weight);
    for (const std::string& name : symptom.also_called()) {
      IndexWeightedField(generator, name, text::kProfilePrefix, weight);
    }
  }
}

// Indexes the condition; the caller sets the document data.
Xapian::Document ConditionDocument(const v1::Condition& condition,
                                   const knowledge::ConditionProfile* profile,
                                   Xapian::TermGenerator& generator) {
  Xapian::Document doc;
  generator.set_document(doc);
  IndexField(generator, condition.name(), text::kTitlePrefix, text::kTitleWeight);
  for (const std::string& name : condition.also_called()) {
    IndexField(generator, name, text::kAlsoCalledPrefix, text::kAlsoCalledWeight);
  }
  for (const v1::Symptom& symptom : condition.symptoms()) {
    const Xapian::termcount weight = SymptomWeight(symptom);
    IndexWeightedField(generator, symptom.name(), text::kSymptomPrefix, weight);
    for (const std::string& name : symptom.also_called()) {
      IndexWeightedField(generator, name, text::kSymptomPrefix, weight);
    }
  }
  if (profile != nullptr) {
    IndexProfile(*profile, generator);
    doc.add_value(text::kProfiledSlot, "1");
  }
  IndexField(generator, condition.summary(), text::kSummaryPrefix, text::kSummaryWeight);
  for (const v1::Section& section : condition.sections()) {
    IndexBody(generator, section.heading());
    IndexBody(generator, section.text());
  }

  doc.add_boolean_term(text::IdTerm(condition.id()));
  AddCommonValues(doc, text::kConditionType, condition.name(), condition.source());
  for (const std::string& category : condition.categories()) {
    doc.add_boolean_term(text::BooleanTerm(text::kCategoryPrefix, category));
  }
  doc.add_value(text::kCategorySlot, absl::StrJoin(condition.categories(), "\n"));
  for (const v1::Code& code : condition.codes()) {
    doc.add_boolean_term(text::BooleanTerm(text::kCodePrefix, code.code()));
  }
  return doc;
}

// Indexes the article; the caller sets the document data.
Xapian::Document ArticleDocument(const v1::Article& article, Xapian::TermGenerator& generator) {
  Xapian::Document doc;
  generator.set_document(doc);
  IndexField(generator, article.title(), text::kTitlePrefix, text::kTitleWeight);
  for (const std::string& name : article.also_called()) {
    IndexField(generator, name, text::kAlsoCalledPrefix, text::kAlsoCalledWeight);
  }
  IndexField(generator, article.summary(), text::kSummaryPrefix, text::kSummaryWeight);
  for (const v1::Section& section : article.sections()) {
    IndexBody(generator, section.heading());
    IndexBody(generator, section.text());
  }
  for (const std::string& tag : article.tags()) {
    generator.index_text(tag, text::kSummaryWeight);
    doc.add_boolean_term(text::BooleanTerm(text::kTagPrefix, tag));
  }

  doc.add_boolean_term(text::IdTerm(article.id()));
  AddCommonValues(doc, text::kArticleType, article.title(), article.source());
  return doc;
}

// A run of consecutive records, indexed into a database of its own under
// the document ids the records will have in the merged index.
struct Shard {
  struct Entry {
    std::variant<v1::Condition, v1::Article> record;
    const knowledge::ConditionProfile* profile = nullptr;
  };
  std::filesystem::path path;
  Xapian::docid first_docid = 1;
  std::vector<Entry> entries;
  size_t text_bytes = 0;
};

// Indexes shards on `threads` threads. At most `threads` full shards wait to
// be indexed, so the records held in memory stay bounded too.
class ShardIndexer {
 public:
  ShardIndexer(std::filesystem::path dir, int threads, size_t shard_text_bytes)
      : dir_(std::move(dir)), max_waiting_(threads), shard_text_bytes_(shard_text_bytes) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
  }

  ~ShardIndexer() { Stop(/*drop_waiting=*/true); }

  // Returns the first failure of any thread, if there was one.
  absl::Status Add(Shard::Entry entry, size_t text_bytes) {
    filling_.entries.push_back(std::move(entry));
    filling_.text_bytes += text_bytes;
    if (filling_.text_bytes < shard_text_bytes_) return absl::OkStatus();
    return Submit();
  }

  int64_t indexed() const { return indexed_.load(std::memory_order_relaxed); }

  // Indexes the records added since the last full shard, waits for every
  // shard, and returns their paths in document id order.
  absl::StatusOr<std::vector<std::filesystem::path>> Finish() {
    if (!filling_.entries.empty()) {
      if (absl::Status s = Submit(); !s.ok()) return s;
    }
    Stop(/*drop_waiting=*/false);
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return failure_;
    return paths_;
  }

 private:
  // Lets the threads finish the shard each is indexing and, unless
  // `drop_waiting`, the shards still waiting; then joins them.
  void Stop(bool drop_waiting) {
    {
      absl::MutexLock lock(&mu_);
      if (drop_waiting) waiting_.clear();
      done_ = true;
    }
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
  }

  absl::Status Submit() {
    Shard shard = std::exchange(filling_, Shard{});
    shard.path = dir_ / absl::StrCat("shard-", paths_.size());
    shard.first_docid = next_docid_;
    next_docid_ += static_cast<Xapian::docid>(shard.entries.size());
    paths_.push_back(shard.path);
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &ShardIndexer::HasRoomOrFailed));
    if (!failure_.ok()) return failure_;
    waiting_.push_back(std::move(shard));
    return absl::OkStatus();
  }

  void Work() {
    while (true) {
      Shard shard;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &ShardIndexer::HasWorkOrDone));
        if (waiting_.empty()) return;
        shard = std::move(waiting_.front());
        waiting_.pop_front();
      }
      absl::Status status = Index(shard);
      if (!status.ok()) {
        absl::MutexLock lock(&mu_);
        if (failure_.ok()) failure_ = std::move(status);
        waiting_.clear();
      }
    }
  }

  bool HasRoomOrFailed() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return waiting_.size() < max_waiting_ || !failure_.ok();
  }
  bool HasWorkOrDone() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !waiting_.empty() || done_;
  }

  absl::Status Index(Shard& shard) {
    try {
      Xapian::WritableDatabase db(shard.path.string(),
                                  Xapian::DB_CREATE | Xapian::DB_BACKEND_GLASS);
      Xapian::TermGenerator generator = text::MakeTermGenerator();
      generator.set_database(db);
      generator.set_flags(Xapian::TermGenerator::FLAG_SPELLING);
      Xapian::docid docid = shard.first_docid;
      for (Shard::Entry& entry : shard.entries) {
        Xapian::Document doc = std::visit(
            [&](const auto& record) {
              using Record = std::decay_t<decltype(record)>;
              Xapian::Document indexed;
              if constexpr (std::is_same_v<Record, v1::Condition>) {
                indexed = ConditionDocument(record, entry.profile, generator);
              } else {
                indexed = ArticleDocument(record, generator);
              }
              indexed.set_data(DocumentDataOf(record).SerializeAsString());
              return indexed;
            },
            entry.record);
        db.replace_document(docid++, doc);
        indexed_.fetch_add(1, std::memory_order_relaxed);
      }
      db.commit();
      db.close();
    } catch (const Xapian::Error& e) {
      return absl::InternalError(
          absl::StrCat("Xapian, indexing ", shard.path.string(), ": ", e.get_description()));
    }
    return absl::OkStatus();
  }

  const std::filesystem::path dir_;
  const size_t max_waiting_;
  const size_t shard_text_bytes_;
  // Only the thread that adds records touches these.
  Shard filling_;
  Xapian::docid next_docid_ = 1;
  std::vector<std::filesystem::path> paths_;

  absl::Mutex mu_;
  std::deque<Shard> waiting_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> indexed_ = 0;
  std::vector<std::thread> threads_;
};

// Feeds valid records into the record store and the shard indexer, reporting
// progress.
class BundleWriter {
 public:
  BundleWriter(ShardIndexer& shards, RecordStoreWriter& store, const KnowledgeBase& knowledge,
               const std::function<void(const IndexProgress&)>& on_progress)
      : shards_(shards), store_(store), knowledge_(knowledge), on_progress_(on_progress) {}

  absl::Status Add(v1::Condition&& condition) {
    const knowledge::ConditionProfile* profile = knowledge_.ProfileFor(condition);
    if (profile != nullptr) ++profiled_;
    if (absl::Status s = store_.AddCondition(condition); !s.ok()) return s;
    const size_t text_bytes = IndexedTextBytes(condition);
    ++conditions_;
    Tick();
    return shards_.Add({.record = std::move(condition), .profile = profile}, text_bytes);
  }

  absl::Status Add(v1::Article&& article) {
    if (absl::Status s = store_.AddArticle(article); !s.ok()) return s;
    const size_t text_bytes = IndexedTextBytes(article);
    ++articles_;
    Tick();
    return shards_.Add({.record = std::move(article)}, text_bytes);
  }

  int64_t conditions() const { return conditions_; }
  int64_t articles() const { return articles_; }
  int64_t profiled() const { return profiled_; }

 private:
  void Tick() {
    const absl::Time now = absl::Now();
    if (on_progress_ && now - last_progress_ >= absl::Seconds(1)) {
      last_progress_ = now;
      on_progress_({.records = shards_.indexed(), .elapsed = now - start_});
    }
  }

  ShardIndexer& shards_;
  RecordStoreWriter& store_;
  const KnowledgeBase& knowledge_;
  const std::function<void(const IndexProgress&)>& on_progress_;
  int64_t conditions_ = 0;
  int64_t articles_ = 0;
  int64_t profiled_ = 0;
  const absl::Time start_ = absl::Now();
  absl::Time last_progress_ = absl::Now();
};

void AddInputs(const std::vector<std::filesystem::path>& paths,
               google::protobuf::RepeatedPtrField<bundle::InputFile>* inputs) {
  for (const std::filesystem::path& path : paths) {
    bundle::InputFile* input = inputs->Add();
    input->set_path(path.string());
    std::error_code error;
    input->set_size_bytes(static_cast<int64_t>(std::filesystem::file_size(path, error)));
  }
}

// Merges the shards, in document id order, into one index at `out` with full
// blocks.
void MergeShards(const std::vector<std::filesystem::path>& shards,
                 const std::filesystem::path& out) {
  Xapian::Database all;
  for (const std::filesystem::path& shard : shards) all.add_database(Xapian::Database(shard));
  all.compact(out.string(), Xapian::DBCOMPACT_NO_RENUMBER | Xapian::DBCOMPACT_MULTIPASS);
}

int ThreadCount(int requested) {
  if (requested > 0) return requested;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

absl::StatusOr<bundle::Manifest> BuildInto(BundleBuild& build, const IndexerOptions& options,
                                           const KnowledgeBase& knowledge,
                                           std::vector<std::string>* problems) {
  absl::StatusOr<RecordStoreWriter> store = RecordStoreWriter::Create(build.records_path());
  if (!store.ok()) return store.status();
  const std::filesystem::path shards_dir = build.xapian_path().string() + ".shards";
  if (std::error_code error; !std::filesystem::create_directory(shards_dir, error)) {
    return absl::InternalError(
        absl::StrCat("cannot create ", shards_dir.string(), ": ", error.message()));
  }
  ShardIndexer shards(shards_dir, ThreadCount(options.index_threads), options.shard_text_bytes);
  BundleWriter writer(shards, *store, knowledge, options.on_progress);
  CorpusVisitor visitor{
      .on_condition = [&](v1::Condition&& c) { return writer.Add(std::move(c)); },
      .on_article = [&](v1::Article&& a) { return writer.Add(std::move(a)); },
  };
  std::vector<CorpusFile> files;
  if (absl::Status s = ReadCorpus(options.corpus_dirs, {.max_problems = options.max_problems},
                                  visitor, problems, &files);
      !s.ok()) {
    return s;
  }
  if (writer.conditions() + writer.articles() == 0) {
    return absl::InvalidArgumentError("the corpus holds no records");
  }
  absl::StatusOr<std::vector<std::filesystem::path>> shard_paths = shards.Finish();
  if (!shard_paths.ok()) return shard_paths.status();
  {
    Xapian::WritableDatabase last(shard_paths->back().string(), Xapian::DB_OPEN);
    for (const auto& [key, synonym] : knowledge.synonyms()) last.add_synonym(key, synonym);
    last.commit();
  }
  MergeShards(*shard_paths, build.xapian_path());
  std::error_code removal_error;
  std::filesystem::remove_all(shards_dir, removal_error);
  if (removal_error) {
    return absl::InternalError(
        absl::StrCat("cannot remove ", shards_dir.string(), ": ", removal_error.message()));
  }
  if (absl::Status s = store->Finish(); !s.ok()) return s;

  bundle::Manifest manifest;
  manifest.set_build_time(absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()));
  manifest.set_condition_count(writer.conditions());
  manifest.set_article_count(writer.articles());
  manifest.set_profiled_record_count(writer.profiled());
  manifest.set_synonym_count(static_cast<int64_t>(knowledge.synonyms().size()));
  AddInputs(options.profile_files, manifest.mutable_profile_inputs());
  AddInputs(options.thesaurus_files, manifest.mutable_thesaurus_inputs());
  for (const CorpusFile& file : files) {
    bundle::InputFile* input = manifest.add_inputs();
    input->set_path(file.path);
    input->set_size_bytes(file.size_bytes);
    input->set_sha256(file.sha256);
    input->set_record_count(file.record_count);
  }
  return build.Publish(std::move(manifest));
}

}  // namespace

absl::StatusOr<bundle::Manifest> BuildBundle(const IndexerOptions& options,
                                             std::vector<std::string>* problems) {
  absl::StatusOr<KnowledgeBase> knowledge =
      KnowledgeBase::Load(options.profile_files, options.thesaurus_files);
  if (!knowledge.ok()) return knowledge.status();
  absl::StatusOr<BundleBuild> build = BundleBuild::Start(options.out);
  if (!build.ok()) return build.status();
  try {
    return BuildInto(*build, options, *knowledge, problems);
  } catch (const Xapian::Error& e) {
    return absl::InternalError(absl::StrCat("Xapian: ", e.get_description()));
  }
}

}  // namespace healthsearch
