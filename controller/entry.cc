// `groundtruth controller` as cli/commands.h declares it.
#include "controller/main.h"

namespace gt {

int ControllerMain(int argc, char** argv) { return controller::ControllerMain(argc, argv); }

}  // namespace gt
