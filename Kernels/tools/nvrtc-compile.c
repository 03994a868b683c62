/*
 * nvrtc-compile: CUDA C++ source -> PTX text, through NVRTC (the CUDA runtime compiler library).
 *
 *   nvrtc-compile INPUT.cu OUTPUT.ptx [NVRTC OPTION...]
 *
 * Used by Kernels/build-ptx.sh, which fetches libnvrtc from Debian and builds this file with gcc.
 * We declare the handful of NVRTC entry points ourselves (their C ABI is stable and documented in
 * the NVRTC user guide), so no CUDA header is needed. On failure the compiler log is printed and
 * the exit code is 1; OUTPUT is only written when compilation succeeds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int nvrtcResult; /* 0 = NVRTC_SUCCESS */
typedef struct _nvrtcProgram *nvrtcProgram;

extern const char *nvrtcGetErrorString(nvrtcResult result);
extern nvrtcResult nvrtcVersion(int *major, int *minor);
extern nvrtcResult nvrtcCreateProgram(nvrtcProgram *prog, const char *src, const char *name,
                                      int numHeaders, const char *const *headers,
                                      const char *const *includeNames);
extern nvrtcResult nvrtcCompileProgram(nvrtcProgram prog, int numOptions, const char *const *options);
extern nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram prog, size_t *logSizeRet);
extern nvrtcResult nvrtcGetProgramLog(nvrtcProgram prog, char *log);
extern nvrtcResult nvrtcGetPTXSize(nvrtcProgram prog, size_t *ptxSizeRet);
extern nvrtcResult nvrtcGetPTX(nvrtcProgram prog, char *ptx);
extern nvrtcResult nvrtcDestroyProgram(nvrtcProgram *prog);

/* Any NVRTC failure: name the call, the input and NVRTC's message, then stop. */
static void check(nvrtcResult result, const char *call, const char *input)
{
    if (result != 0) {
        fprintf(stderr, "nvrtc-compile: %s failed for %s: %s\n", call, input, nvrtcGetErrorString(result));
        exit(1);
    }
}

/* The whole file as a NUL-terminated string. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    if (!text || fread(text, 1, (size_t)size, f) != (size_t)size) { fprintf(stderr, "nvrtc-compile: cannot read %s\n", path); exit(1); }
    text[size] = '\0';
    fclose(f);
    return text;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: nvrtc-compile INPUT.cu OUTPUT.ptx [NVRTC OPTION...]\n");
        return 2;
    }
    const char *input = argv[1], *output = argv[2];
    const char *const *options = (const char *const *)(argv + 3);
    int option_count = argc - 3;

    /* The program name only appears in diagnostics: use the file's base name so that the
       output does not depend on where the repository is checked out. */
    const char *name = strrchr(input, '/') ? strrchr(input, '/') + 1 : input;

    char *source = read_text(input);
    nvrtcProgram prog;
    check(nvrtcCreateProgram(&prog, source, name, 0, NULL, NULL), "nvrtcCreateProgram", input);

    nvrtcResult compiled = nvrtcCompileProgram(prog, option_count, options);
    size_t log_size = 0;
    check(nvrtcGetProgramLogSize(prog, &log_size), "nvrtcGetProgramLogSize", input);
    if (log_size > 1) { /* warnings or errors: show them either way */
        char *log = malloc(log_size);
        check(nvrtcGetProgramLog(prog, log), "nvrtcGetProgramLog", input);
        fprintf(stderr, "%s", log);
        free(log);
    }
    check(compiled, "nvrtcCompileProgram", input);

    size_t ptx_size = 0;
    check(nvrtcGetPTXSize(prog, &ptx_size), "nvrtcGetPTXSize", input);
    char *ptx = malloc(ptx_size);
    check(nvrtcGetPTX(prog, ptx), "nvrtcGetPTX", input);

    FILE *out = fopen(output, "wb");
    if (!out) { perror(output); return 1; }
    fwrite(ptx, 1, strlen(ptx), out); /* ptx_size counts the trailing NUL */
    fclose(out);

    check(nvrtcDestroyProgram(&prog), "nvrtcDestroyProgram", input);
    free(ptx);
    free(source);
    return 0;
}
