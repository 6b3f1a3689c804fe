#include "command.hpp"

namespace avpost::tool {

const std::vector<CommandSpec>& all_commands() {
    static const std::vector<CommandSpec> commands = {
        compose_command(),
    };
    return commands;
}

}  // namespace avpost::tool
