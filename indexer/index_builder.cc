#include "indexer/index_builder.h"

#include <xapian.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/time/clock.h>

#include "common/bundle.h"
#include "common/corpus_reader.h"
#include "common/record_store.h"
#include "common/text_analysis.h"
#include "healthsearch/bundle/document_data.pb.h"
#include "indexer/knowledge_base.h"

namespace healthsearch {
namespace {

// Buffered postings take about 10 bytes of memory per byte of text indexed;
// committing after this much text bounds the indexer's memory whatever the
// corpus size.
constexpr size_t kCommitEveryTextBytes = size_t{32} << 20;

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

// Feeds valid records into the index and the record store, reporting progress.
class BundleWriter {
 public:
  BundleWriter(Xapian::WritableDatabase& db, RecordStoreWriter& store,
               const KnowledgeBase& knowledge,
               const std::function<void(const IndexProgress&)>& on_progress)
      : db_(db),
        store_(store),
        knowledge_(knowledge),
        on_progress_(on_progress),
        generator_(text::MakeTermGenerator()) {
    generator_.set_database(db_);
    generator_.set_flags(Xapian::TermGenerator::FLAG_SPELLING);
  }

  absl::Status Add(v1::Condition&& condition) {
    const knowledge::ConditionProfile* profile = knowledge_.ProfileFor(condition);
    if (profile != nullptr) ++profiled_;
    Xapian::Document doc = ConditionDocument(condition, profile, generator_);
    if (absl::Status s = store_.AddCondition(condition); !s.ok()) return s;
    AddToIndex(doc, condition);
    ++conditions_;
    Tick();
    return absl::OkStatus();
  }

  absl::Status Add(v1::Article&& article) {
    Xapian::Document doc = ArticleDocument(article, generator_);
    if (absl::Status s = store_.AddArticle(article); !s.ok()) return s;
    AddToIndex(doc, article);
    ++articles_;
    Tick();
    return absl::OkStatus();
  }

  int64_t conditions() const { return conditions_; }
  int64_t articles() const { return articles_; }
  int64_t profiled() const { return profiled_; }

 private:
  // Adds the document, committing once enough text has been buffered.
  template <typename Record>
  void AddToIndex(Xapian::Document& doc, const Record& record) {
    text_bytes_since_commit_ += IndexedTextBytes(record);
    doc.set_data(DocumentDataOf(record).SerializeAsString());
    db_.add_document(doc);
    if (text_bytes_since_commit_ >= kCommitEveryTextBytes) {
      db_.commit();
      text_bytes_since_commit_ = 0;
    }
  }

  void Tick() {
    const absl::Time now = absl::Now();
    if (on_progress_ && now - last_progress_ >= absl::Seconds(1)) {
      last_progress_ = now;
      on_progress_({.records = conditions_ + articles_, .elapsed = now - start_});
    }
  }

  Xapian::WritableDatabase& db_;
  RecordStoreWriter& store_;
  const KnowledgeBase& knowledge_;
  const std::function<void(const IndexProgress&)>& on_progress_;
  Xapian::TermGenerator generator_;
  int64_t conditions_ = 0;
  int64_t articles_ = 0;
  int64_t profiled_ = 0;
  size_t text_bytes_since_commit_ = 0;
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

// Rewrites the index at `path` with full blocks: the commits along the way
// leave its B-trees about half full.
absl::Status Compact(const std::filesystem::path& path) {
  const std::filesystem::path compacted = path.string() + ".compacted";
  Xapian::Database(path.string()).compact(compacted.string(), Xapian::DBCOMPACT_NO_RENUMBER);
  std::error_code error;
  std::filesystem::remove_all(path, error);
  if (!error) std::filesystem::rename(compacted, path, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot replace ", path.string(),
                                            " by its compacted copy: ", error.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<bundle::Manifest> BuildInto(BundleBuild& build, const IndexerOptions& options,
                                           const KnowledgeBase& knowledge,
                                           std::vector<std::string>* problems) {
  absl::StatusOr<RecordStoreWriter> store = RecordStoreWriter::Create(build.records_path());
  if (!store.ok()) return store.status();
  Xapian::WritableDatabase db(build.xapian_path().string(),
                              Xapian::DB_CREATE | Xapian::DB_BACKEND_GLASS);
  BundleWriter writer(db, *store, knowledge, options.on_progress);
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
  for (const auto& [key, synonym] : knowledge.synonyms()) db.add_synonym(key, synonym);
  db.commit();
  db.close();
  if (absl::Status s = Compact(build.xapian_path()); !s.ok()) return s;
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
