// One real `ascendra serve` process for the tests that run the built binary: spawned on a free
// loopback port with its stderr in a temporary file, waited for on GET /health, stopped with
// SIGTERM (terminate) or, when the test ends early, SIGKILL.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "tests/server/free_port.h"

extern char** environ;

namespace asc::server {

/// The built binary and the default model the real-server tests run.
inline const std::string kServeBinary = std::string(ASC_BINARY_DIR) + "/ascendra";
inline const std::string kServeModel = std::string(ASC_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";

/// False, with the reason in `why`, when the binary or the model is absent (the tests then skip).
inline bool serve_prerequisites(std::string& why) {
  if (!std::filesystem::exists(kServeBinary)) why = "no " + kServeBinary + " (build the ascendra target)";
  else if (!std::filesystem::exists(kServeModel)) why = "no model " + kServeModel + " (scripts/fetch-models.sh)";
  return why.empty();
}

class ServeProcess {
 public:
  /// wait_exit()'s answer while the process still runs.
  static constexpr int kRunning = -1000;

  ServeProcess() {
    static std::atomic<int> counter{0};
    log_ = (std::filesystem::temp_directory_path() /
            ("ascendra_serve_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".log"))
               .string();
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove(log_, ec);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  /// Spawns `binary serve -m model --host 127.0.0.1 --port <free port> extra...`; false when the
  /// spawn itself fails.
  bool spawn(const std::string& binary, const std::string& model, const std::vector<std::string>& extra) {
    port_ = free_port();
    std::vector<std::string> args = {binary, "serve", "-m", model, "--host", "127.0.0.1",
                                     "--port", std::to_string(port_)};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      pid_ = -1;
      ADD_FAILURE() << "cannot spawn " << binary;
    }
    return rc == 0;
  }

  /// Waits until GET /health answers 200; false, with a test failure carrying the server's stderr,
  /// when it exits first or is not ready within `seconds`.
  bool wait_ready(int seconds = 90) {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_connection_timeout(1, 0);
    cli.set_read_timeout(2, 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      // /health, not /v1/models: the model is listed while the weights are still loading.
      auto res = cli.Get("/health");
      if (res && res->status == 200) return true;
      if (wait_exit(0) != kRunning) {
        ADD_FAILURE() << "ascendra serve exited during start-up:\n" << stderr_text();
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "ascendra serve not ready within " << seconds << " s:\n" << stderr_text();
    return false;
  }

  /// Exit status after waiting up to timeout_ms; kRunning while it runs, -1 when killed by a signal.
  int wait_exit(int timeout_ms) {
    for (int waited = 0;; waited += 10) {
      int status = 0;
      if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      if (pid_ <= 0) return exit_status_;
      if (waited >= timeout_ms) return kRunning;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  /// Sends SIGTERM; the exit status, or kRunning when it did not exit within timeout_ms.
  int terminate(int timeout_ms = 20000) {
    if (pid_ > 0) kill(pid_, SIGTERM);
    return wait_exit(timeout_ms);
  }

  int port() const { return port_; }
  std::string stderr_text() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  /// A client for this server with the given read timeout.
  httplib::Client client(int read_timeout_s = 60) const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(read_timeout_s, 0);
    return c;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_status_ = -1;
  std::string log_;
};

}  // namespace asc::server
