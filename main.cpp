// ascendra: one executable, five subcommands. This file only wires them together.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "engine/app/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"ascendra: an OpenAI-compatible LLM server that meets TTFT and TBT objectives at once"};
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("--version", show_version, "Print the version, compiled backends and SIMD levels");
  asc::server::register_serve(app);
  asc::app::register_generate(app);
  asc::server::register_bench(app);
  asc::app::register_simulate(app);
  asc::app::register_profile(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ascendra: error: %s\n", e.what());
    return 1;
  }
  if (show_version) {
    asc::app::print_version();
    return 0;
  }
  if (app.get_subcommands().empty()) {
    std::fputs(app.help().c_str(), stdout);
    return 1;
  }
  return 0;
}
