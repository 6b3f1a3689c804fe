#include "avpost/core/status_line.hpp"

namespace avpost {

namespace {
constexpr const char* erase_to_end = "\033[K";
}

StatusLine::~StatusLine() {
    if (!drawn_) return;
    // Unwinding (Ctrl-C, an error): the terminal may have echoed "^C" after the text.
    write(last_);
    end();
}

void StatusLine::draw(const std::string& text) {
    if (!enabled_ || (drawn_ && text == last_)) return;  // unchanged: nothing to redraw
    write(text);
}

void StatusLine::write(const std::string& text) {
    std::fputc('\r', out_);
    std::fputs(text.c_str(), out_);
    std::fputs(erase_to_end, out_);
    std::fflush(out_);
    last_ = text;
    drawn_ = true;
}

void StatusLine::end() {
    if (!enabled_ || !drawn_) return;
    std::fputc('\n', out_);
    std::fflush(out_);
    drawn_ = false;
}

}  // namespace avpost
