#pragma once
// One line on a terminal that is rewritten in place (progress bars, "waiting for ..." lines).
// Each draw returns to the line's start and erases what follows the new text; the line is ended
// when done or destroyed. Ended by an exception (Ctrl-C above all), it is drawn once more first:
// that erases the "^C" the terminal echoed onto it, so the error starts on a clean line.
#include <cstdio>
#include <string>

namespace avpost {

class StatusLine {
public:
    // Writes to `out` only when `enabled` (callers decide: Progress::terminal_attached(), quiet, json).
    StatusLine(std::FILE* out, bool enabled) : out_(out), enabled_(enabled) {}
    ~StatusLine();
    StatusLine(const StatusLine&) = delete;
    StatusLine& operator=(const StatusLine&) = delete;

    bool enabled() const { return enabled_; }
    bool drawn() const { return drawn_; }  // something is on the line now
    void draw(const std::string& text);
    // Ends the line (it stays on screen); the next draw starts a new one.
    void end();

private:
    void write(const std::string& text);

    std::FILE* out_;
    bool enabled_;
    bool drawn_ = false;
    std::string last_;
};

}  // namespace avpost
