// The doctest runner of hogwild_unit_tests (see CMakeLists.txt beside this
// file). The cases live in the other test_*.cpp files, one file per header.
//
// ctest runs each case alone with --test-case=NAME. doctest exits 0 when a
// filter matches no case (a name it cannot match, e.g. one with a comma, would
// pass without running), so this runner fails a run that ran no case.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

namespace {

int cases_run = -1;  // -1: no test run happened (--list-test-cases, --help, ...)

struct RunCounter : doctest::IReporter {
    explicit RunCounter(const doctest::ContextOptions&) {}
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats& stats) override {
        cases_run = static_cast<int>(stats.numTestCasesPassingFilters);
    }
    void test_case_start(const doctest::TestCaseData&) override {}
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats&) override {}
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

DOCTEST_REGISTER_LISTENER("run_counter", 1, RunCounter);

int main(int argc, char** argv) {
    doctest::Context context(argc, argv);
    const int result = context.run();
    if (result == 0 && cases_run == 0) {
        std::fprintf(stderr, "hogwild_unit_tests: no test case matched the filters\n");
        return 1;
    }
    return result;
}
