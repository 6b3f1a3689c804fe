#include "command.hpp"

namespace avpost::tool {

const std::vector<CommandSpec>& all_commands() {
    static const std::vector<CommandSpec> commands = {
        compose_command(),
        transcode_command(),
        avatars_command(),
        poses_command(),
        voices_command(),
        render_command(),
        status_command(),
        wait_command(),
        videos_command(),
        fetch_command(),
        sandbox_command(),
        archive_command(),
        serve_command(),
        run_command(),
        batch_command(),
        stages_command(),
        submit_command(),
        jobs_command(),
        worker_command(),
        completion_command(),
        man_command(),
    };
    return commands;
}

}  // namespace avpost::tool
