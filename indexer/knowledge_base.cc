#include "indexer/knowledge_base.h"

#include <fstream>

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>
#include <google/protobuf/util/json_util.h>

#include "common/text_analysis.h"

namespace healthsearch {
namespace {

namespace fs = std::filesystem;

absl::Status LineError(const fs::path& path, int line, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(path.string(), ":", line, ": ", message));
}

// Calls `on_line(line, number)` for each line of `path`.
template <typename OnLine>
absl::Status ForEachLine(const fs::path& path, OnLine on_line) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (absl::Status s = on_line(line, number); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// `synonym: "difficulty swallowing" EXACT []` -> difficulty swallowing
bool ParseOboExactSynonym(absl::string_view line, std::string* synonym) {
  if (!absl::ConsumePrefix(&line, "synonym: \"")) return false;
  const size_t end = line.find('"');
  if (end == absl::string_view::npos) return false;
  if (!absl::StartsWith(line.substr(end + 1), " EXACT")) return false;
  *synonym = std::string(line.substr(0, end));
  return true;
}

}  // namespace

absl::StatusOr<KnowledgeBase> KnowledgeBase::Load(const std::vector<fs::path>& profile_files,
                                                  const std::vector<fs::path>& thesaurus_files) {
  KnowledgeBase knowledge;
  for (const fs::path& path : profile_files) {
    absl::Status status = ForEachLine(path, [&](const std::string& line, int number) {
      if (absl::StripAsciiWhitespace(line).empty()) return absl::OkStatus();
      knowledge::ConditionProfile profile;
      if (auto s = google::protobuf::util::JsonStringToMessage(line, &profile); !s.ok()) {
        return LineError(path, number, s.message().ToString());
      }
      if (profile.name().empty()) return LineError(path, number, "profile has no name");
      knowledge.profiles_.push_back(std::move(profile));
      knowledge.IndexProfile(knowledge.profiles_.size() - 1);
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
  }
  for (const fs::path& path : thesaurus_files) {
    absl::Status status;
    if (path.extension() == ".obo") {
      std::string name;
      bool obsolete = false;
      std::vector<std::string> synonyms;
      auto finish_term = [&] {
        if (!name.empty() && !obsolete) {
          for (const std::string& synonym : synonyms) knowledge.AddSynonymPair(name, synonym);
        }
        name.clear();
        synonyms.clear();
        obsolete = false;
      };
      status = ForEachLine(path, [&](const std::string& line, int) {
        std::string synonym;
        if (absl::StartsWith(line, "[")) {
          finish_term();
        } else if (absl::StartsWith(line, "name: ")) {
          name = line.substr(6);
        } else if (line == "is_obsolete: true") {
          obsolete = true;
        } else if (ParseOboExactSynonym(line, &synonym)) {
          synonyms.push_back(std::move(synonym));
        }
        return absl::OkStatus();
      });
      finish_term();
    } else {
      status = ForEachLine(path, [&](const std::string& line, int number) {
        if (line.empty() || absl::StartsWith(line, "#")) return absl::OkStatus();
        std::vector<std::string> fields = absl::StrSplit(line, '\t');
        if (fields.size() != 2 || absl::StripAsciiWhitespace(fields[0]).empty() ||
            absl::StripAsciiWhitespace(fields[1]).empty()) {
          return LineError(path, number, "expected \"term<TAB>synonym\"");
        }
        if (number == 1 && fields[0] == "term" && fields[1] == "synonym") return absl::OkStatus();
        knowledge.AddSynonymPair(std::string(absl::StripAsciiWhitespace(fields[0])),
                                 std::string(absl::StripAsciiWhitespace(fields[1])));
        return absl::OkStatus();
      });
    }
    if (!status.ok()) return status;
  }
  return knowledge;
}

void KnowledgeBase::IndexProfile(size_t index) {
  const knowledge::ConditionProfile& profile = profiles_[index];
  by_name_.try_emplace(text::SynonymKey(profile.name()), index);
  for (const std::string& name : profile.also_called()) {
    by_name_.try_emplace(text::SynonymKey(name), index);
  }
  for (const v1::Code& code : profile.codes()) {
    by_code_.try_emplace(absl::AsciiStrToUpper(code.code()), index);
  }
}

void KnowledgeBase::AddSynonymPair(const std::string& a, const std::string& b) {
  const std::string key_a = text::SynonymKey(a);
  const std::string key_b = text::SynonymKey(b);
  if (key_a.empty() || key_b.empty() || key_a == key_b) return;
  synonyms_.emplace_back(key_a, absl::AsciiStrToLower(b));
  synonyms_.emplace_back(key_b, absl::AsciiStrToLower(a));
}

const knowledge::ConditionProfile* KnowledgeBase::ProfileFor(const v1::Condition& condition) const {
  auto found = by_name_.find(text::SynonymKey(condition.name()));
  if (found != by_name_.end()) return &profiles_[found->second];
  for (const std::string& name : condition.also_called()) {
    found = by_name_.find(text::SynonymKey(name));
    if (found != by_name_.end()) return &profiles_[found->second];
  }
  for (const v1::Code& code : condition.codes()) {
    found = by_code_.find(absl::AsciiStrToUpper(code.code()));
    if (found != by_code_.end()) return &profiles_[found->second];
  }
  return nullptr;
}

}  // namespace healthsearch
