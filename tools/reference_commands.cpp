// `avpost completion bash` and the hidden `avpost help-man`: the bash completion script and the
// man page, both made from the program's own option tables (cli_reference.cpp). The build runs
// them to write build/avpost.1 and build/avpost.bash-completion, which `cmake --install` installs.
#include <iostream>

#include "cli_reference.hpp"
#include "command.hpp"
#include "exit_codes.hpp"

namespace avpost::tool {

CommandSpec completion_command() {
    return {"completion", "Print a shell completion script: source <(avpost completion bash)",
            [](CLI::App& sub, const GlobalOptions&) -> CommandRun {
                // Owned by the returned run too: CLI11 writes the value while parsing, after this
                // set-up has returned (ASan caught the write into a freed string).
                auto shell = std::make_shared<std::string>();
                sub.add_option("shell", *shell, "The shell (bash)")->required()->check(CLI::IsMember({"bash"}));
                return [&sub, shell] {
                    std::cout << bash_completion(*sub.get_parent());
                    return exit_ok;
                };
            }};
}

CommandSpec man_command() {
    return {"help-man", "Print the man page avpost.1 (roff)", [](CLI::App& sub, const GlobalOptions&) -> CommandRun {
                sub.group("");  // hidden: the build runs it; people read `man avpost`
                return [&sub] {
                    std::cout << man_page(*sub.get_parent());
                    return exit_ok;
                };
            }};
}

}  // namespace avpost::tool
