// interdict: the command line of the blocking-order registry. Parsing and printing live here;
// every rule lives in the library.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>

#include "cli.h"

namespace interdict::cli {
void AddAccessCommands(CLI::App& app, Context& ctx);  // token, ack, overdue (cmd_access.cc)
void AddLogCommands(CLI::App& app, Context& ctx);     // log (cmd_log.cc)
void AddGuardCommands(CLI::App& app, Context& ctx);   // ranges, pdns, ..., guard (cmd_guard.cc)
}  // namespace interdict::cli

namespace {

// The environment is read once at start-up, before any thread exists.
// NOLINTBEGIN(concurrency-mt-unsafe)
std::string DefaultActor() {
  if (const char* a = std::getenv("INTERDICT_ACTOR"); a != nullptr && *a != '\0') return a;
  if (const char* u = std::getenv("USER"); u != nullptr && *u != '\0') return u;
  return "cli";
}

std::string DefaultDb() {
  if (const char* d = std::getenv("INTERDICT_DB"); d != nullptr && *d != '\0') return d;
  return "./var/interdict.db";
}
// NOLINTEND(concurrency-mt-unsafe)

// The config file (--config FILE): CLI11's TOML reader, which also notes the line of each key
// ("serve.rate") and section ("serve.++", as CLI11 names its opening) so that errors can name it.
class ConfigReader : public CLI::ConfigBase {
 public:
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    const std::string text{std::istreambuf_iterator<char>(input), std::istreambuf_iterator<char>()};
    lines_.clear();
    std::istringstream lines(text);
    std::string line;
    std::string section;
    bool in_array = false;  // the continuation lines of a multi-line [ ... ] value
    for (int n = 1; std::getline(lines, line); ++n) {
      line = CLI::detail::trim_copy(line);
      if (in_array) {
        in_array = line.empty() || line.back() != ']';
        continue;
      }
      if (line.empty() || line.front() == '#' || line.front() == ';') continue;
      if (line.front() == '[' && line.back() == ']') {
        section = CLI::detail::trim_copy(line.substr(1, line.size() - 2), "[] ");
        if (CLI::detail::to_lower(section) == "default") section.clear();
        if (!section.empty()) lines_.emplace(section + ".++", n);
        continue;
      }
      const std::size_t eq = line.find('=');
      std::string key = CLI::detail::trim_copy(line.substr(0, eq));
      CLI::detail::remove_quotes(key);
      if (!section.empty()) key.insert(0, section + ".");
      lines_.emplace(key, n);
      if (eq != std::string::npos) {
        const std::string value = CLI::detail::trim_copy(line.substr(eq + 1));
        in_array = !value.empty() && value.front() == '[' && value.back() != ']';
      }
    }
    std::istringstream again(text);
    return CLI::ConfigBase::from_config(again);
  }

  // The line of a key or section of the last file read, or 0.
  int LineOf(const std::string& fullname) const {
    const auto it = lines_.find(fullname);
    return it == lines_.end() ? 0 : it->second;
  }

  // The key of the last file read that sets option `name` ("rate" → "serve.rate"), or "".
  std::string KeyOf(const std::string& name) const {
    for (const auto& [key, line] : lines_) {
      if (key == name || key.ends_with("." + name)) return key;
    }
    return "";
  }

 private:
  mutable std::map<std::string, int> lines_;
};

// Reports a parse error that comes from the config file, naming the file, the line and the key
// ("serve.toml:7: unknown key serve.rat"). False when the error is not the file's.
bool ReportConfigError(const CLI::ParseError& e, CLI::App& app, const std::string& file,
                       const ConfigReader& reader, const std::vector<std::string>& args) {
  const std::string what = e.what();
  const auto where = [&](const std::string& key) {
    const int line = reader.LineOf(key);
    return "interdict: " + file + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": ";
  };
  if (dynamic_cast<const CLI::FileError*>(&e) != nullptr) {
    std::cerr << "interdict: --config " << file << ": no such file, or not readable\n";
    return true;
  }
  if (dynamic_cast<const CLI::ConfigError*>(&e) != nullptr) {
    static const std::string kUnknown = "INI was not able to parse ";
    if (!what.starts_with(kUnknown)) {
      const std::string key = what.substr(0, what.find(':'));
      std::cerr << where(key) << key << ": may not be set in a config file\n";
      return true;
    }
    const std::string key = what.substr(kUnknown.size());
    if (key.ends_with(".++")) {
      const std::string section = key.substr(0, key.size() - 3);
      std::cerr << where(key) << "unknown section [" << section
                << "] (serve's options go under [serve])\n";
      return true;
    }
    const std::size_t dot = key.rfind('.');
    const std::string name = key.substr(dot == std::string::npos ? 0 : dot + 1);
    std::string hint;
    if (dot != std::string::npos && app.get_option_no_throw("--" + name) != nullptr) {
      hint = " (" + name + " is a global option: set it at the top, before any [section])";
    } else if (dot == std::string::npos) {
      for (CLI::App* sub :
           app.get_subcommands([](CLI::App* s) { return s->get_name() == "serve"; })) {
        if (sub->get_option_no_throw("--" + name) != nullptr) {
          hint = " (an option of serve: set it under [serve])";
        }
      }
    }
    std::cerr << where(key) << "unknown key " << key << hint << "\n";
    return true;
  }
  // A bad value: CLI11 names the option ("--rate: Value 0 not in range 1 to 60000"). It is the
  // file's when the file sets that option and the command line does not.
  const std::size_t dashes = what.find("--");
  if (dashes == std::string::npos) return false;
  const std::size_t end = what.find_first_not_of(
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", dashes + 2);
  const std::string name =
      what.substr(dashes + 2, end == std::string::npos ? end : end - dashes - 2);
  const std::string key = reader.KeyOf(name);
  if (name.empty() || key.empty()) return false;
  for (const std::string& arg : args) {
    if (arg == "--" + name || arg.starts_with("--" + name + "=")) return false;
  }
  std::cerr << where(key) << key << ": " << what << "\n";
  return true;
}

int Run(int argc, char** argv) {
  using namespace interdict::cli;
  CLI::App app{"interdict: registry of court-ordered and administrative blocking orders"};
  app.set_version_flag("--version", "interdict 0.1.0");
  app.require_subcommand(1);
  Globals globals{DefaultDb(), DefaultActor(), false, {}, {}};
  app.add_option("--db", globals.db,
                 "registry database (default $INTERDICT_DB or ./var/interdict.db)");
  app.add_option("--actor", globals.actor,
                 "who is acting, for the audit trail (default $INTERDICT_ACTOR or $USER)");
  app.add_flag("--json", globals.json, "machine-readable output");
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read before any thread exists
  if (const char* k = std::getenv("INTERDICT_LOG_KEY"); k != nullptr) globals.log_key = k;
  app.add_option("--log-key", globals.log_key,
                 "secret key file that signs the transparency log's head after every change "
                 "(default $INTERDICT_LOG_KEY; serve uses its --sign-key)");
  app.add_option("--bound-pairs", globals.bounds.max_pairs,
                 "a change moving more (target, order) pairs in or out of force than this is "
                 "held until an authority admin confirms it (default 100000; 0: no such bound)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--bound-fraction", globals.bounds.max_fraction,
                 "... or moving more than this fraction of the targets in force (default 0.25; "
                 "0: no such bound)")
      ->check(CLI::Range(0.0, 1000.0));
  app.add_option("--bound-floor", globals.bounds.fraction_floor,
                 "the fraction bound applies to changes of more pairs than this (default 10000)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--address-max-age-days", globals.address_max_age_days,
                 "ip and cidr targets lapse when not re-confirmed (order reconfirm) for this "
                 "many days (default 90; 0: never)")
      ->check(CLI::NonNegativeNumber);
  auto config_reader = std::make_shared<ConfigReader>();
  app.config_formatter(config_reader);
  CLI::Option* config = app.set_config(
      "--config", "",
      "TOML file of options: global ones (db, actor) at the top, serve's under [serve] "
      "(docs/serve.example.toml); the command line overrides it");
  config->type_name("FILE");
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.fallthrough();

  Context ctx(globals);
  AddRegistryCommands(app, ctx);
  AddWorkflowCommands(app, ctx);
  AddQueryCommands(app, ctx);
  AddTransferCommands(app, ctx);
  AddDemoCommand(app, ctx);
  AddKeysCommands(app, ctx);
  AddServeCommand(app, ctx);
  AddAccessCommands(app, ctx);
  AddLogCommands(app, ctx);
  AddGuardCommands(app, ctx);
  AddAppealCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (!config->results().empty() &&
        ReportConfigError(e, app, config->results().front(), *config_reader,
                          std::vector<std::string>(argv + 1, argv + argc))) {
      return kExitError;
    }
    app.exit(e);
    return kExitError;
  } catch (const std::exception& e) {
    std::cerr << "interdict: " << e.what() << "\n";
    return kExitError;
  }
  return ExitCode();
}

}  // namespace

int main(int argc, char** argv) {
  // Nothing may escape main: setting up the parser allocates, and allocation can throw.
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "interdict: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "interdict: unknown error\n";
  }
  return interdict::cli::kExitError;
}
