// blinkd: the command line. Everything else is in run_daemon (blinkd.h).
// Exit codes: 0 stopped cleanly (or the check passed), 1 could not start
// (or the checked file is invalid), 2 invalid configuration at start-up
// (the unit does not restart on 2: a restart cannot fix it).
#include <CLI/CLI.hpp>
#include <iostream>
#include <sstream>

#include "blinkd.h"
#include "config.h"
#include "curve_keys.h"
#include "log.h"
#include "signals.h"

int main(int argc, char** argv) {
  // Before anything can start a thread: every thread inherits the mask.
  blink::block_daemon_signals();

  CLI::App app{"blinkd: real-time transient detection for sky surveys"};
  std::string config_path, check_path;
  bool version = false, print_default = false;
  app.add_option("--config", config_path, "TOML configuration file (default: embedded defaults)");
  app.add_option("--check-config", check_path,
                 "validate FILE, print the problems and exit (0 when valid)");
  std::string key_prefix;
  app.add_option("--make-curve-keys", key_prefix,
                 "write a new CURVE key pair to PREFIX.key (public) and PREFIX.key_secret "
                 "(mode 0600) and exit");
  app.add_flag("--version", version, "print the version and exit");
  app.add_flag("--print-default-config", print_default,
               "print the documented default configuration and exit");
  CLI11_PARSE(app, argc, argv);

  if (version) {
    std::cout << "blinkd " << BLINK_VERSION << "\n";
    return 0;
  }
  if (!key_prefix.empty()) {
    auto pair = blink::make_curve_key_pair();
    blink::Status s = pair ? blink::write_curve_key_files(key_prefix, *pair) : pair.status();
    if (!s) {
      std::cerr << "blinkd: " << s.message() << "\n";
      return 1;
    }
    std::cout << key_prefix << ".key: public key " << pair->public_key << "\n"
              << key_prefix << ".key_secret: the key pair (keep it private)\n";
    return 0;
  }
  if (print_default) {
    std::cout << blink::config_to_toml(blink::Config{});
    return 0;
  }
  if (!check_path.empty()) {
    auto config = blink::load_config_file(check_path);
    if (!config) {
      std::cerr << config.status().message() << "\n";
      return 1;
    }
    std::cout << check_path << ": ok\n";
    return 0;
  }
  blink::Config config;
  std::optional<std::string> path;
  if (!config_path.empty()) {
    auto loaded = blink::load_config_file(config_path);
    if (!loaded) {
      // One journal entry per problem.
      std::istringstream problems(loaded.status().message());
      for (std::string line; std::getline(problems, line);)
        blink::log_error("invalid configuration: " + line);
      return 2;
    }
    config = *loaded;
    path = config_path;
  }
  return blink::run_daemon(config, path);
}
