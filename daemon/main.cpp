// disaggd: entry point of the daemon executable.
#include "app/disaggd_app.h"

int main(int argc, char** argv) {
  disaggd::app::DisaggdApp app;
  return app.run_command_line(argc, argv);
}
