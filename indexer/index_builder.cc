#include "indexer/index_builder.h"

#include <xapian.h>

#include <algorithm>
#include <cmath>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/time/clock.h>

#include "common/bundle.h"
#include "common/corpus_reader.h"
#include "common/record_store.h"
#include "common/text_analysis.h"
#include "indexer/knowledge_base.h"

namespace healthsearch {
namespace {

// How much more a word counts in the unprefixed (search-everything) text when
// it occurs in each field.
constexpr Xapian::termcount kNameWeight = 6;
constexpr Xapian::termcount kAlsoCalledWeight = 4;
// A symptom counts for 1 (rare) to kMaxSymptomWeight (nearly always present)
// by how typical it is; kSymptomWeight when its frequency is unknown.
constexpr Xapian::termcount kSymptomWeight = 2;
constexpr Xapian::termcount kMaxSymptomWeight = 4;
constexpr Xapian::termcount kSummaryWeight = 1;
constexpr Xapian::termcount kBodyWeight = 1;

// Indexes `text` under `prefix` and, weighted, in the unprefixed text.
void IndexField(Xapian::TermGenerator& generator, const std::string& text, const char* prefix,
                Xapian::termcount weight) {
  if (text.empty()) return;
  generator.index_text(text, 1, prefix);
  generator.index_text(text, weight);
  generator.increase_termpos();
}

Xapian::termcount SymptomWeight(const v1::Symptom& symptom) {
  if (!symptom.has_frequency_percent()) return kSymptomWeight;
  const double fraction = std::clamp(symptom.frequency_percent() / 100.0, 0.0, 1.0);
  return 1 + static_cast<Xapian::termcount>(std::lround(fraction * (kMaxSymptomWeight - 1)));
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
  IndexField(generator, profile.name(), text::kAlsoCalledPrefix, kAlsoCalledWeight);
  for (const std::string& name : profile.also_called()) {
    IndexField(generator, name, text::kAlsoCalledPrefix, kAlsoCalledWeight);
  }
  for (const v1::Symptom& symptom : profile.symptoms()) {
    const Xapian::termcount weight = SymptomWeight(symptom);
    IndexField(generator, symptom.name(), text::kProfilePrefix, weight);
    for (const std::string& name : symptom.also_called()) {
      IndexField(generator, name, text::kProfilePrefix, weight);
    }
  }
}

Xapian::Document ConditionDocument(const v1::Condition& condition,
                                   const knowledge::ConditionProfile* profile,
                                   Xapian::TermGenerator& generator) {
  Xapian::Document doc;
  generator.set_document(doc);
  IndexField(generator, condition.name(), text::kTitlePrefix, kNameWeight);
  for (const std::string& name : condition.also_called()) {
    IndexField(generator, name, text::kAlsoCalledPrefix, kAlsoCalledWeight);
  }
  for (const v1::Symptom& symptom : condition.symptoms()) {
    const Xapian::termcount weight = SymptomWeight(symptom);
    IndexField(generator, symptom.name(), text::kSymptomPrefix, weight);
    for (const std::string& name : symptom.also_called()) {
      IndexField(generator, name, text::kSymptomPrefix, weight);
    }
  }
  if (profile != nullptr) {
    IndexProfile(*profile, generator);
    doc.add_value(text::kProfiledSlot, "1");
  }
  IndexField(generator, condition.summary(), text::kSummaryPrefix, kSummaryWeight);
  for (const v1::Section& section : condition.sections()) {
    IndexField(generator, section.heading(), text::kBodyPrefix, kBodyWeight);
    IndexField(generator, section.text(), text::kBodyPrefix, kBodyWeight);
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
  doc.set_data(condition.SerializeAsString());
  return doc;
}

Xapian::Document ArticleDocument(const v1::Article& article, Xapian::TermGenerator& generator) {
  Xapian::Document doc;
  generator.set_document(doc);
  IndexField(generator, article.title(), text::kTitlePrefix, kNameWeight);
  for (const std::string& name : article.also_called()) {
    IndexField(generator, name, text::kAlsoCalledPrefix, kAlsoCalledWeight);
  }
  IndexField(generator, article.summary(), text::kSummaryPrefix, kSummaryWeight);
  for (const v1::Section& section : article.sections()) {
    IndexField(generator, section.heading(), text::kBodyPrefix, kBodyWeight);
    IndexField(generator, section.text(), text::kBodyPrefix, kBodyWeight);
  }
  for (const std::string& tag : article.tags()) {
    generator.index_text(tag, kSummaryWeight);
    doc.add_boolean_term(text::BooleanTerm(text::kTagPrefix, tag));
  }

  doc.add_boolean_term(text::IdTerm(article.id()));
  AddCommonValues(doc, text::kArticleType, article.title(), article.source());
  doc.set_data(article.SerializeAsString());
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

  absl::Status Add(const v1::Condition& condition) {
    const knowledge::ConditionProfile* profile = knowledge_.ProfileFor(condition);
    if (profile != nullptr) ++profiled_;
    db_.add_document(ConditionDocument(condition, profile, generator_));
    ++conditions_;
    Tick();
    return store_.AddCondition(condition);
  }

  absl::Status Add(const v1::Article& article) {
    db_.add_document(ArticleDocument(article, generator_));
    ++articles_;
    Tick();
    return store_.AddArticle(article);
  }

  int64_t conditions() const { return conditions_; }
  int64_t articles() const { return articles_; }
  int64_t profiled() const { return profiled_; }

 private:
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

absl::StatusOr<bundle::Manifest> BuildInto(BundleBuild& build, const IndexerOptions& options,
                                           const KnowledgeBase& knowledge,
                                           std::vector<std::string>* problems) {
  absl::StatusOr<RecordStoreWriter> store = RecordStoreWriter::Create(build.records_path());
  if (!store.ok()) return store.status();
  Xapian::WritableDatabase db(build.xapian_path().string(),
                              Xapian::DB_CREATE | Xapian::DB_BACKEND_GLASS);
  BundleWriter writer(db, *store, knowledge, options.on_progress);
  CorpusVisitor visitor{
      .on_condition = [&](v1::Condition&& c) { return writer.Add(c); },
      .on_article = [&](v1::Article&& a) { return writer.Add(a); },
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
