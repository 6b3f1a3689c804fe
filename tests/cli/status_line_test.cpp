// The rewritten terminal line under progress bars and waits: each draw goes back to the line's
// start and erases the rest; a line ended by unwinding (Ctrl-C) is drawn once more first, which
// erases the "^C" the terminal echoed onto it, then ended, so the error starts on a clean line.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "avpost/core/status_line.hpp"

namespace {

struct File {
    std::FILE* f = std::tmpfile();
    ~File() { std::fclose(f); }
    std::string text() const {
        std::fflush(f);
        std::rewind(f);
        std::string out;
        for (int c; (c = std::fgetc(f)) != EOF;) out += char(c);
        return out;
    }
};

}  // namespace

TEST(StatusLine, EachDrawRewritesTheLineAndUnchangedTextIsNotRedrawn) {
    File out;
    avpost::StatusLine line(out.f, true);
    line.draw("waiting 0:01");
    line.draw("waiting 0:01");
    line.draw("waiting 0:02");
    line.end();
    EXPECT_EQ(out.text(), "\rwaiting 0:01\033[K\rwaiting 0:02\033[K\n");
}

TEST(StatusLine, ALineLeftByAnExceptionIsDrawnAgainOverTheEchoedCtrlCAndEnded) {
    File out;
    try {
        avpost::StatusLine line(out.f, true);
        line.draw("compose [###---] 50%");
        std::fputs("^C", out.f);  // what the terminal echoes when Ctrl-C is pressed
        throw std::runtime_error("interrupted");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(out.text(), "\rcompose [###---] 50%\033[K^C\rcompose [###---] 50%\033[K\n");
}

TEST(StatusLine, DisabledWritesNothing) {
    File out;
    {
        avpost::StatusLine line(out.f, false);
        line.draw("x");
    }
    EXPECT_EQ(out.text(), "");
}
