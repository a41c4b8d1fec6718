#include "testing/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "testing/test_support.h"

namespace healthsearch::testing {
namespace {

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Subprocess::Subprocess(const std::filesystem::path& program, const std::vector<std::string>& args,
                       const std::filesystem::path& output_path) {
  std::vector<std::string> argv_strings = {program.string()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string output = output_path.empty() ? "/dev/null" : output_path.string();

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
}

Subprocess::~Subprocess() {
  if (!exit_code_.has_value() && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    Wait();
  }
}

void Subprocess::Signal(int signal) {
  if (!exit_code_.has_value()) ::kill(pid_, signal);
}

int Subprocess::Wait() {
  if (exit_code_.has_value()) return *exit_code_;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  exit_code_ = ExitCodeOf(status);
  return *exit_code_;
}

std::optional<int> Subprocess::Poll() {
  if (exit_code_.has_value()) return exit_code_;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) exit_code_ = ExitCodeOf(status);
  return exit_code_;
}

int RunProgram(const std::filesystem::path& program, const std::vector<std::string>& args,
               std::string* output) {
  TempDir temp;
  const std::filesystem::path output_path = temp.path() / "output";
  Subprocess process(program, args, output_path);
  const int code = process.Wait();
  if (output != nullptr) {
    std::ifstream in(output_path);
    std::ostringstream contents;
    contents << in.rdbuf();
    *output = contents.str();
  }
  return code;
}

}  // namespace healthsearch::testing
