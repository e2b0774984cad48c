# Progress bars (cli) for long work: bootstraps, replicate weights, tilting
# grids and reads of several files. Shown in interactive sessions, after
# cli's usual delay (two seconds, option cli.progress_show_after), so that
# quick work stays quiet; never when options(panelattrition.progress =
# FALSE); always (for tests and logs) when the option is TRUE.

progress_wanted <- function() {
  opt <- getOption("panelattrition.progress")
  if (!is.null(opt)) {
    if (!is.logical(opt) || length(opt) != 1L || is.na(opt)) {
      pa_abort(sprintf("The option `panelattrition.progress` must be TRUE, FALSE or NULL, not %s.",
                       describe_value(opt)),
               class = "panelattrition_option_error",
               option = "panelattrition.progress")
    }
    return(opt)
  }
  interactive()
}

# A bar over `total` steps owned by the caller's frame (cli closes it when
# that frame returns), or NULL when progress is not wanted.
progress_start <- function(label, total, envir = parent.frame()) {
  if (!progress_wanted() || total < 2) return(NULL)
  cli::cli_progress_bar(label, total = total, clear = TRUE, .envir = envir)
}

# Forced bars (the option TRUE) draw at every step, for logs and tests;
# others follow cli's timing.
progress_step <- function(id, by = 1, envir = parent.frame()) {
  if (!is.null(id)) {
    cli::cli_progress_update(
      inc = by, id = id, .envir = envir,
      force = isTRUE(getOption("panelattrition.progress"))
    )
  }
  invisible()
}

progress_end <- function(id, envir = parent.frame()) {
  if (!is.null(id)) cli::cli_progress_done(id = id, .envir = envir)
  invisible()
}

