// interdict: the command line of the blocking-order registry. Parsing and printing live here;
// every rule lives in the library.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli.h"

namespace interdict::cli {
void AddAccessCommands(CLI::App& app, Context& ctx);  // token, ack, overdue (cmd_access.cc)
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

int Run(int argc, char** argv) {
  using namespace interdict::cli;
  CLI::App app{"interdict: registry of court-ordered and administrative blocking orders"};
  app.set_version_flag("--version", "interdict 0.1.0");
  app.require_subcommand(1);
  Globals globals{DefaultDb(), DefaultActor(), false};
  app.add_option("--db", globals.db,
                 "registry database (default $INTERDICT_DB or ./var/interdict.db)");
  app.add_option("--actor", globals.actor,
                 "who is acting, for the audit trail (default $INTERDICT_ACTOR or $USER)");
  app.add_flag("--json", globals.json, "machine-readable output");
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
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
