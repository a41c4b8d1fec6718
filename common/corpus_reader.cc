#include "common/corpus_reader.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/strings/ascii.h>
#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_join.h>
#include <google/protobuf/util/json_util.h>

#include "common/text_analysis.h"

namespace healthsearch {
namespace {

namespace fs = std::filesystem;

absl::Status CheckFilterValue(absl::string_view field, absl::string_view value) {
  if (value.size() <= text::kMaxFilterValueBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s \"%s...\" is %d bytes long; values used as filters may be at most %d", field,
      absl::CHexEscape(value.substr(0, 40)), value.size(), text::kMaxFilterValueBytes));
}

absl::Status CheckFilterValues(const v1::Condition& condition) {
  if (absl::Status s = CheckFilterValue("source.name", condition.source().name()); !s.ok()) {
    return s;
  }
  for (const std::string& category : condition.categories()) {
    if (absl::Status s = CheckFilterValue("category", category); !s.ok()) return s;
  }
  for (const v1::Code& code : condition.codes()) {
    if (absl::Status s = CheckFilterValue("code", code.code()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CheckFilterValues(const v1::Article& article) {
  if (absl::Status s = CheckFilterValue("source.name", article.source().name()); !s.ok()) {
    return s;
  }
  for (const std::string& tag : article.tags()) {
    if (absl::Status s = CheckFilterValue("tag", tag); !s.ok()) return s;
  }
  return absl::OkStatus();
}

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' &&
        c != ':' && c != '-') {
      return false;
    }
  }
  return true;
}

absl::Status CheckId(absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("missing required field \"id\"");
  if (!IsValidId(id)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "id \"%s\" is not 1-%d characters of letters, digits, '.', '_', ':' or '-'",
        absl::CHexEscape(id.substr(0, 200)), kMaxIdLength));
  }
  return absl::OkStatus();
}

// Protobuf's JSON parser flattens a list inside a list ([["a"], "b"] reads as
// ["a", "b"]) at any depth. No field of ours is a list of lists, so such a
// line is refused rather than silently reshaped. Returns the offset of the
// first inner list, or npos.
size_t FindListInList(absl::string_view line) {
  std::vector<char> open;  // the '[' and '{' not yet closed
  bool in_string = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (c == '[' && !open.empty() && open.back() == '[') return i;
      open.push_back(c);
    } else if ((c == ']' || c == '}') && !open.empty()) {
      open.pop_back();
    }
  }
  return absl::string_view::npos;
}

template <typename Record>
absl::StatusOr<Record> ParseRecordLine(absl::string_view line) {
  if (!IsValidUtf8(line)) return absl::InvalidArgumentError("invalid UTF-8");
  if (absl::StripAsciiWhitespace(line).empty()) {
    return absl::InvalidArgumentError("blank line (each line must hold one JSON record)");
  }
  if (const size_t inner = FindListInList(line); inner != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a valid ", Record::descriptor()->name(), " record: a list inside a list",
                     " at byte ", inner + 1, " (lists hold strings or objects)"));
  }
  Record record;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(line.data(), line.size()), &record, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a valid ", Record::descriptor()->name(), " record: ",
                     std::string(status.message())));
  }
  return record;
}

// Reads `path` line by line, hashing it as it goes.
class LineReader {
 public:
  explicit LineReader(const fs::path& path)
      : in_(path, std::ios::binary), digest_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    EVP_DigestInit_ex(digest_.get(), EVP_sha256(), nullptr);
  }
  bool is_open() const { return in_.is_open(); }
  bool bad() const { return in_.bad(); }

  // The next line without its "\n" or "\r\n"; false at end of file.
  bool Next(std::string* line) {
    if (!std::getline(in_, *line)) return false;
    ++line_number_;
    EVP_DigestUpdate(digest_.get(), line->data(), line->size());
    if (!in_.eof()) EVP_DigestUpdate(digest_.get(), "\n", 1);
    if (line_number_ == 1 && line->starts_with("\xEF\xBB\xBF")) line->erase(0, 3);
    if (!line->empty() && line->back() == '\r') line->pop_back();
    return true;
  }
  int64_t line_number() const { return line_number_; }

  std::string HexDigest() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(digest_.get(), md, &length);
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) absl::StrAppendFormat(&hex, "%02x", md[i]);
    return hex;
  }

 private:
  std::ifstream in_;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> digest_;
  int64_t line_number_ = 0;
};

class CorpusValidator {
 public:
  // Where a record was read.
  struct Place {
    uint32_t file_index;  // into files_read_
    int64_t line_number;
  };

  CorpusValidator(const CorpusReadOptions& options, const CorpusVisitor& visitor,
                  std::vector<std::string>* problems, std::vector<CorpusFile>* files)
      : options_(options), visitor_(visitor), problems_(problems), files_(files) {}

  absl::Status ReadDirectory(const fs::path& dir) {
    std::error_code error;
    if (!fs::is_directory(dir, error)) {
      Problem(dir.string(), 0, "no such corpus directory", /*missing=*/true);
      return absl::OkStatus();
    }
    bool found_any = false;
    for (const char* name : {kConditionsFile, kArticlesFile}) {
      fs::path path = dir / name;
      if (!fs::exists(path, error)) continue;
      found_any = true;
      if (absl::Status s = ReadFile(path, name == absl::string_view(kConditionsFile)); !s.ok()) {
        return s;
      }
    }
    if (!found_any) {
      Problem(dir.string(), 0,
              absl::StrCat("corpus directory has neither ", kConditionsFile, " nor ",
                           kArticlesFile),
              /*missing=*/true);
    }
    return absl::OkStatus();
  }

  absl::Status Finish() const {
    if (problem_count_ == 0) return absl::OkStatus();
    std::string message = absl::StrCat(problem_count_, " problem(s) in the corpus");
    if (problem_count_ > options_.max_problems) {
      absl::StrAppend(&message, " (first ", options_.max_problems, " listed)");
    }
    if (problem_count_ == missing_count_) return absl::NotFoundError(message);
    return absl::InvalidArgumentError(message);
  }

 private:
  absl::Status ReadFile(const fs::path& path, bool conditions) {
    const std::string file = path.string();
    const auto file_index = static_cast<uint32_t>(files_read_.size());
    files_read_.push_back(file);
    LineReader reader(path);
    if (!reader.is_open()) {
      Problem(file, 0, "cannot open file for reading");
      return absl::OkStatus();
    }
    CorpusFile info;
    info.path = file;
    std::error_code error;
    info.size_bytes = static_cast<int64_t>(fs::file_size(path, error));
    std::string line;
    while (reader.Next(&line)) {
      const int64_t number = reader.line_number();
      if (line.size() > kMaxLineBytes) {
        Problem(file, number, absl::StrCat("line is longer than ", kMaxLineBytes, " bytes"));
        continue;
      }
      const Place place{.file_index = file_index, .line_number = number};
      absl::Status status = conditions ? HandleCondition(place, line) : HandleArticle(place, line);
      if (status.ok()) {
        ++info.record_count;
      } else if (absl::IsInvalidArgument(status)) {
        Problem(file, number, status.message());
      } else {
        return status;  // from the visitor
      }
    }
    if (reader.bad()) Problem(file, reader.line_number() + 1, "read error");
    if (reader.line_number() == 0) Problem(file, 1, "file is empty (expected one record per line)");
    info.sha256 = reader.HexDigest();
    if (files_ != nullptr) files_->push_back(std::move(info));
    return absl::OkStatus();
  }

  // INVALID_ARGUMENT means the record is bad; any other error came from the visitor.
  absl::Status HandleCondition(Place place, absl::string_view line) {
    absl::StatusOr<v1::Condition> condition = ParseConditionLine(line);
    if (!condition.ok()) return condition.status();
    if (absl::Status s = Claim(condition->id(), place); !s.ok()) return s;
    if (problem_count_ > 0 || !visitor_.on_condition) return absl::OkStatus();
    return Unambiguous(visitor_.on_condition(*std::move(condition)));
  }

  absl::Status HandleArticle(Place place, absl::string_view line) {
    absl::StatusOr<v1::Article> article = ParseArticleLine(line);
    if (!article.ok()) return article.status();
    if (absl::Status s = Claim(article->id(), place); !s.ok()) return s;
    if (problem_count_ > 0 || !visitor_.on_article) return absl::OkStatus();
    return Unambiguous(visitor_.on_article(*std::move(article)));
  }

  // Keeps a visitor's INVALID_ARGUMENT from being taken for a bad record.
  static absl::Status Unambiguous(absl::Status status) {
    if (absl::IsInvalidArgument(status)) return absl::InternalError(status.message());
    return status;
  }

  absl::Status Claim(const std::string& id, Place place) {
    if (auto it = first_seen_.find(id); it != first_seen_.end()) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate id \"", id, "\" (first used at ",
                                                     files_read_[it->second.file_index], ":",
                                                     it->second.line_number, ")"));
    }
    first_seen_.emplace(KeepId(id), place);
    return absl::OkStatus();
  }

  // A lasting copy of `id`, packed with the others into large blocks rather
  // than allocated one by one.
  absl::string_view KeepId(absl::string_view id) {
    constexpr size_t kIdBlockBytes = 1 << 20;
    static_assert(kMaxIdLength <= kIdBlockBytes);  // CheckId has bounded `id`
    if (id_blocks_.empty() || id_block_used_ + id.size() > kIdBlockBytes) {
      id_blocks_.push_back(std::make_unique<char[]>(kIdBlockBytes));
      id_block_used_ = 0;
    }
    char* copy = id_blocks_.back().get() + id_block_used_;
    std::copy(id.begin(), id.end(), copy);
    id_block_used_ += id.size();
    return absl::string_view(copy, id.size());
  }

  // `line` 0 means the problem is with the whole file or directory. `missing`
  // marks a directory or file that is not there at all.
  void Problem(const std::string& file, int64_t line, absl::string_view message,
               bool missing = false) {
    ++problem_count_;
    if (missing) ++missing_count_;
    if (problems_ != nullptr && problem_count_ <= options_.max_problems) {
      problems_->push_back(line > 0 ? absl::StrCat(file, ":", line, ": ", message)
                                    : absl::StrCat(file, ": ", message));
    }
  }

  const CorpusReadOptions& options_;
  const CorpusVisitor& visitor_;
  std::vector<std::string>* problems_;
  std::vector<CorpusFile>* files_;
  std::vector<std::string> files_read_;
  // Every record's id, with where it was read: held for the whole corpus.
  absl::flat_hash_map<absl::string_view, Place> first_seen_;  // ids in id_blocks_
  std::vector<std::unique_ptr<char[]>> id_blocks_;  // kIdBlockBytes each
  size_t id_block_used_ = 0;
  size_t problem_count_ = 0;
  size_t missing_count_ = 0;
};

}  // namespace

bool IsValidUtf8(absl::string_view bytes) {
  size_t i = 0;
  const size_t n = bytes.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t code_point;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      code_point = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code_point = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code_point = c & 0x07;
    } else {
      return false;
    }
    if (i + length > n) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto continuation = static_cast<unsigned char>(bytes[i + k]);
      if ((continuation & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (continuation & 0x3F);
    }
    static constexpr uint32_t kSmallestForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallestForLength[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

absl::StatusOr<v1::Condition> ParseConditionLine(absl::string_view line) {
  absl::StatusOr<v1::Condition> condition = ParseRecordLine<v1::Condition>(line);
  if (!condition.ok()) return condition;
  if (absl::Status s = CheckId(condition->id()); !s.ok()) return s;
  if (absl::StripAsciiWhitespace(condition->name()).empty()) {
    return absl::InvalidArgumentError("missing required field \"name\"");
  }
  if (absl::Status s = CheckFilterValues(*condition); !s.ok()) return s;
  return condition;
}

absl::StatusOr<v1::Article> ParseArticleLine(absl::string_view line) {
  absl::StatusOr<v1::Article> article = ParseRecordLine<v1::Article>(line);
  if (!article.ok()) return article;
  if (absl::Status s = CheckId(article->id()); !s.ok()) return s;
  if (absl::StripAsciiWhitespace(article->title()).empty()) {
    return absl::InvalidArgumentError("missing required field \"title\"");
  }
  if (absl::Status s = CheckFilterValues(*article); !s.ok()) return s;
  return article;
}

absl::Status ReadCorpus(const std::vector<fs::path>& dirs, const CorpusReadOptions& options,
                        const CorpusVisitor& visitor, std::vector<std::string>* problems,
                        std::vector<CorpusFile>* files) {
  if (dirs.empty()) return absl::InvalidArgumentError("no corpus directory given");
  CorpusValidator validator(options, visitor, problems, files);
  for (const fs::path& dir : dirs) {
    if (absl::Status s = validator.ReadDirectory(dir); !s.ok()) return s;
  }
  return validator.Finish();
}

absl::StatusOr<Corpus> LoadCorpus(const std::vector<fs::path>& dirs,
                                  const CorpusReadOptions& options,
                                  std::vector<std::string>* problems) {
  Corpus corpus;
  CorpusVisitor visitor{
      .on_condition =
          [&](v1::Condition&& c) {
            corpus.conditions.push_back(std::move(c));
            return absl::OkStatus();
          },
      .on_article =
          [&](v1::Article&& a) {
            corpus.articles.push_back(std::move(a));
            return absl::OkStatus();
          },
  };
  if (absl::Status s = ReadCorpus(dirs, options, visitor, problems, &corpus.files); !s.ok()) {
    return s;
  }
  return corpus;
}

}  // namespace healthsearch
