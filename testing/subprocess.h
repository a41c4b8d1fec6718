// Runs one of our executables as a real child process, for tests that span
// processes.
#ifndef HEALTHSEARCH_TESTING_SUBPROCESS_H_
#define HEALTHSEARCH_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace healthsearch::testing {

class Subprocess {
 public:
  // Starts `program` with `args`; its stdout and stderr go to `output_path`
  // (or are discarded when empty).
  Subprocess(const std::filesystem::path& program, const std::vector<std::string>& args,
             const std::filesystem::path& output_path = {});
  ~Subprocess();  // kills the child if it still runs
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal);
  // Waits for the child; returns its exit code, or 128 + signal if killed.
  int Wait();
  // The exit status if the child has exited, without waiting.
  std::optional<int> Poll();

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// Runs `program` to completion; returns its exit code and puts its combined
// output in `*output` when given.
int RunProgram(const std::filesystem::path& program, const std::vector<std::string>& args,
               std::string* output = nullptr);

}  // namespace healthsearch::testing

#endif  // HEALTHSEARCH_TESTING_SUBPROCESS_H_
