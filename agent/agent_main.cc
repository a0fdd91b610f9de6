// groundtruth-agent: the node agent alone, linked lean (see agent/CMakeLists.txt);
// `groundtruth agent` execs it when it sits beside the groundtruth binary.
#include "agent/main.h"

int main(int argc, char** argv) { return gt::agent::AgentMain(argc, argv); }
