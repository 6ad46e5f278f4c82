// A std::vector whose resize leaves trivial elements unwritten, so that the
// memory is first written (and, under Linux's first-touch policy, placed on
// a NUMA node) by whichever thread fills it, not by the one that allocates.
#pragma once

#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace hogwild {

template <class T, class Base = std::allocator<T>>
class DefaultInitAllocator : public Base {
    using Traits = std::allocator_traits<Base>;

  public:
    template <class U>
    struct rebind {
        using other = DefaultInitAllocator<U, typename Traits::template rebind_alloc<U>>;
    };
    using Base::Base;

    // default-initialization: nothing written for a trivial type
    template <class U>
    void construct(U* where) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(where)) U;
    }
    template <class U, class... Args>
    void construct(U* where, Args&&... args) {
        Traits::construct(static_cast<Base&>(*this), where, std::forward<Args>(args)...);
    }
};

template <class T>
using UninitializedVector = std::vector<T, DefaultInitAllocator<T>>;

}  // namespace hogwild
