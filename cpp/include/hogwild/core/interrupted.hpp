// What a long call of the core throws when its caller's interrupt check
// (Ctrl-C, polled by the calling thread) asked it to stop.
#pragma once

#include <functional>

namespace hogwild {

struct Interrupted {};

// Polled by the calling thread between chunks of work; may be empty.
using InterruptPoll = std::function<bool()>;

}  // namespace hogwild
