// Registration of the ascendra subcommands. main.cpp only wires these together; each subcommand's
// options, validation and run function live beside the code it drives.
#pragma once

namespace CLI {
class App;
}

namespace asc::app {
void register_generate(CLI::App& app);  // engine/app/generate_command.cpp
void register_profile(CLI::App& app);   // engine/app/profile_command.cpp
void register_simulate(CLI::App& app);  // engine/app/simulate_command.cpp
/// Version, compiled backends and SIMD levels, one per line.
void print_version();                   // engine/app/version.cpp
}  // namespace asc::app

namespace asc::server {
void register_serve(CLI::App& app);     // server/serve_command.cpp
void register_bench(CLI::App& app);     // server/bench_command.cpp
}  // namespace asc::server
