# Progress bars: shown when forced on, silent otherwise, and the bootstrap
# gives the same numbers with or without them.

progress_weights <- function() {
  s <- sim_panel(500, seed = 8)
  panel <- panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
  attrition_weights(panel, ~ g + age)
}

capture_progress <- function(expr) {
  seen <- character()
  value <- withCallingHandlers(
    expr,
    cliMessage = function(m) {
      seen <<- c(seen, conditionMessage(m))
      invokeRestart("muffleMessage")
    }
  )
  list(value = value, seen = seen)
}

test_that("bootstraps show progress when forced on, with identical numbers", {
  w <- progress_weights()
  withr_opts <- options(panelattrition.progress = FALSE)
  on.exit(options(withr_opts), add = TRUE)
  quiet <- capture_progress(replicate_weights(w, boot_control(B = 40, seed = 2),
                                             storage = "dense"))
  expect_length(quiet$seen, 0L)
  options(panelattrition.progress = TRUE, cli.progress_show_after = 0)
  shown <- capture_progress(
    replicate_weights(w, boot_control(B = 40, seed = 2, threads = 2),
                      storage = "dense")
  )
  expect_true(any(grepl("Bootstrap replicates", shown$seen)))
  expect_identical(shown$value, quiet$value)
  # compact storage: its run at creation shows the bar too, and access
  # with the bar forced on gives the same matrices
  shown_c <- capture_progress(
    replicate_weights(w, boot_control(B = 40, seed = 2, threads = 2))
  )
  expect_true(any(grepl("Bootstrap replicates", shown_c$seen)))
  expect_identical(shown_c$value$T2, quiet$value$T2)
  # through an estimator with se = "bootstrap"
  m <- suppressMessages(capture_progress(
    wave_means(w, "y", se = "bootstrap", control = boot_control(B = 30, seed = 1))
  ))
  expect_true(any(grepl("Bootstrap replicates", m$seen)))
  options(panelattrition.progress = FALSE)
  m0 <- wave_means(w, "y", se = "bootstrap", control = boot_control(B = 30, seed = 1))
  expect_identical(m0$std_error, m$value$std_error)
})

test_that("tilting grids show progress; a bad option is a classed error", {
  w <- progress_weights()
  old <- options(panelattrition.progress = TRUE, cli.progress_show_after = 0)
  on.exit(options(old), add = TRUE)
  tl <- suppressMessages(capture_progress(
    tilt_sensitivity(w, "y", alpha = c(-0.05, 0, 0.05))
  ))
  expect_true(any(grepl("Tilting", tl$seen)))
  options(panelattrition.progress = "yes")
  expect_error(replicate_weights(w, boot_control(B = 5, seed = 1)),
               class = "panelattrition_option_error")
})

test_that("progress is off when not interactive and the option is unset", {
  old <- options(panelattrition.progress = NULL)
  on.exit(options(old), add = TRUE)
  expect_identical(progress_wanted(), interactive())
})
