#===- CnncOptions.cmake - warnings and sanitizers for cnnc's own code ----===#
#
# cnnc_target_options(<target>) applies the project's warning and sanitizer
# flags to one of our targets. LLVM/MLIR stay untouched: they are included as
# system headers and linked as Debian built them.
#
#===----------------------------------------------------------------------===#

set(CNNC_WARNING_FLAGS -Wall -Wextra -Wno-unused-parameter)
if(CNNC_WERROR)
  list(APPEND CNNC_WARNING_FLAGS -Werror)
endif()

set(CNNC_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
                         -fno-omit-frame-pointer)

function(cnnc_target_options target)
  target_compile_options(${target} PRIVATE ${CNNC_WARNING_FLAGS})
  if(CNNC_SANITIZE)
    target_compile_options(${target} PRIVATE ${CNNC_SANITIZER_FLAGS})
    target_link_options(${target} PRIVATE ${CNNC_SANITIZER_FLAGS})
  endif()
endfunction()
