# Compact replicate weights: the object keeps what makes the replicates,
# and every way of reading them gives the matrices of storage = "dense"
# bit for bit (identical()), at a small fraction of the size.

expect_pa_error <- function(object, class = NULL, argument = NULL) {
  cnd <- expect_error(object, class = "panelattrition_error")
  if (!is.null(class)) expect_s3_class(cnd, class)
  if (!is.null(argument)) expect_identical(cnd$argument, argument)
  invisible(cnd)
}

compact_weights <- function(formula, ..., n = 500, seed = 21) {
  s <- sim_panel(n = n, seed = seed)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  attrition_weights(panel, formula, ...)
}

# Everything a compact object gives equals the dense object, wave by wave
# (through the dense object's own list elements, so that nothing is
# compared with itself).
expect_same_replicates <- function(compact, dense) {
  expect_identical(attr(compact, "storage"), "compact")
  expect_null(attr(dense, "storage"))
  plain <- unclass(dense)
  waves <- names(plain)
  expect_identical(names(compact), waves)
  expect_identical(length(compact), length(waves))
  for (wv in waves) {
    expect_true(is.matrix(plain[[wv]]))
    expect_identical(compact[[wv]], plain[[wv]])
    expect_identical(as.matrix(compact, wave = wv), plain[[wv]])
  }
  expect_identical(compact$T2, plain$T2)
  expect_identical(compact[[3]], plain[[3]])
  expect_identical(as.list(compact), plain[waves])
  expect_identical(compact[c("T3", "T1")], plain[c("T3", "T1")])
  for (a in c("seed", "type", "B", "indices", "failed", "failures")) {
    expect_identical(attr(compact, a), attr(dense, a), info = a)
  }
}

test_that("compact replicates equal the dense ones, for both bootstraps, and combine", {
  w <- compact_weights(~ g + age, history = "y", trim = 0.98)
  for (type in c("bayes", "multinomial")) {
    ctrl <- boot_control(B = 30, type = type, seed = 5)
    compact <- replicate_weights(w, ctrl)
    dense <- replicate_weights(w, ctrl, storage = "dense")
    expect_same_replicates(compact, dense)
    expect_identical(attr(compact, "type"), type)
    # a chunk of columns, in the order asked for
    expect_identical(replicate_chunk(compact, "T3", c(9, 2, 30)),
                     unclass(dense)$T3[, c("b9", "b2", "b30")])
    expect_identical(replicate_chunk(compact, "T1", 11:20, threads = 1),
                     unclass(dense)$T1[, 11:20])
    expect_identical(replicate_chunk(dense, "T2", 4), unclass(dense)$T2[, 4,
                                                                  drop = FALSE])
    # chunks of a bootstrap, combined: compact with compact, and with a
    # dense chunk the whole is dense
    parts <- lapply(list(c(30, 1:9), 10:29), function(idx) {
      replicate_weights(w, boot_control(B = 30, type = type, seed = 5,
                                        chunk = idx))
    })
    expect_identical(replicate_chunk(parts[[1]], "T2", c(30, 3)),
                     unclass(dense)$T2[, c("b30", "b3")])
    whole <- combine_replicates(parts)
    expect_identical(whole, compact)
    expect_same_replicates(whole, dense)
    parts[[2]] <- replicate_weights(w, boot_control(B = 30, type = type,
                                                    seed = 5, chunk = 10:29),
                                    storage = "dense")
    expect_identical(combine_replicates(parts), dense)
  }
  # other weights (or another seed) are not chunks of the same bootstrap
  w2 <- compact_weights(~ g, history = "y")
  expect_error(
    combine_replicates(list(
      replicate_weights(w, boot_control(B = 4, seed = 5, chunk = 1:2)),
      replicate_weights(w2, boot_control(B = 4, seed = 5, chunk = 3:4)))),
    class = "panelattrition_arg_error", regexp = "weights differ")
  out <- utils::capture.output(print(compact))
  expect_match(out[length(out)], "stored compactly")
  expect_match(out[2], "T1 +500 respondents")
})

test_that("compact design (Rao-Wu) replicates equal the dense ones", {
  s <- sim_design_panel(n = 450, seed = 8)
  pan <- panel_data(s$long, id = "id", wave = "wave",
                    baseline = c("g", "age"), strata = "str",
                    cluster = "hh", fpc = "pop")
  w <- attrition_weights(pan, ~ g + age, method = "calibrate")
  ctrl <- boot_control(B = 25, seed = 13)
  compact <- replicate_weights(w, ctrl)
  dense <- replicate_weights(w, ctrl, storage = "dense")
  expect_identical(attr(compact, "type"), "raowu")
  expect_same_replicates(compact, dense)
  skip_if_not_installed("survey")
  a <- as_svrepdesign(w, "T3", replicates = compact)
  b <- as_svrepdesign(w, "T3", replicates = dense)
  expect_identical(stats::weights(a, "analysis"), stats::weights(b, "analysis"))
  expect_identical(a$type, "subbootstrap")
})

test_that("failed replicates: known and warned about once, NA when made again", {
  # a rare category that separates the response model in resamples that
  # leave out its people on one side (as in test-bootstrap.R)
  s <- sim_panel(n = 300, seed = 12)
  tr <- s$truth
  rare <- c(which(!tr$r2)[1], which(tr$r2 & tr$r3)[1],
            which(tr$r2 & !tr$r3)[1])
  h <- rep("common", nrow(tr))
  h[rare] <- "rare"
  long <- s$long
  long$h <- h[match(long$id, tr$id)]
  panel <- panel_data(long, id = "id", wave = "wave",
                      baseline = c("g", "age", "h"))
  w <- attrition_weights(panel, ~ h + age)
  ctrl <- boot_control(B = 40, type = "multinomial", seed = 4)
  expect_warning(compact <- replicate_weights(w, ctrl),
                 class = "panelattrition_bootstrap_warning")
  expect_warning(dense <- replicate_weights(w, ctrl, storage = "dense"),
                 class = "panelattrition_bootstrap_warning")
  failed <- attr(compact, "failed")
  expect_gt(length(failed), 0L)
  expect_identical(attr(compact, "failures"), attr(dense, "failures"))
  # making the matrices again warns no more
  expect_no_warning(m3 <- compact$T3)
  expect_true(all(is.na(m3[, paste0("b", failed)])))
  expect_same_replicates(compact, dense)
  expect_identical(replicate_chunk(compact, "T2", failed),
                   unclass(dense)$T2[, failed, drop = FALSE])
  # chunks keep their own failures, and combine to the whole
  parts <- suppressWarnings(lapply(list(1:17, 18:40), function(idx) {
    replicate_weights(w, boot_control(B = 40, type = "multinomial", seed = 4,
                                      chunk = idx))
  }))
  expect_identical(combine_replicates(parts), compact)
})

test_that("a compact object is small and survives saveRDS()", {
  w <- compact_weights(~ g + age, history = "y", n = 5000, seed = 3)
  compact <- replicate_weights(w, boot_control(B = 200, seed = 1))
  answers <- sum(w$panel$response)
  dense_bytes <- 8 * answers * 200
  # the matrices alone would take 8 bytes x answers x replicates
  expect_lt(length(serialize(compact, NULL)), 0.05 * dense_bytes)
  expect_lt(as.numeric(utils::object.size(compact)), 0.1 * dense_bytes)
  f <- tempfile(fileext = ".rds")
  on.exit(unlink(f))
  saveRDS(compact, f)
  back <- readRDS(f)
  expect_identical(back, compact)
  m <- back$T3
  expect_identical(dim(m), c(sum(w$panel$response[, "T3"]), 200L))
  expect_identical(m, compact$T3)
  expect_identical(replicate_chunk(back, "T3", 101:120), m[, 101:120])
})

test_that("making the matrices checks the memory first", {
  w <- compact_weights(~ g + age)
  reps <- replicate_weights(w, boot_control(B = 50, seed = 2))
  n_t <- colSums(w$panel$response)
  # enough for the object and a piece of replicates, not for a wave
  old <- options(panelattrition.max_bytes = 8 * n_t[["T1"]] * 50 - 1)
  on.exit(options(old))
  e <- expect_error(reps$T1, class = "panelattrition_size_error")
  expect_identical(e$argument, "x")
  expect_gte(e$bytes, 8 * n_t[["T1"]] * 50)
  expect_match(conditionMessage(e), "replicate_chunk")
  e <- expect_error(as.matrix(reps, wave = "T1"),
                    class = "panelattrition_size_error")
  expect_identical(e$argument, "wave")
  expect_error(as.list(reps), class = "panelattrition_size_error")
  # a chunk fits
  expect_identical(dim(replicate_chunk(reps, "T1", 1:5)),
                   c(as.integer(n_t[["T1"]]), 5L))
  options(panelattrition.max_bytes = 1e3)
  e <- expect_error(replicate_chunk(reps, "T1", 1:50),
                    class = "panelattrition_size_error")
  expect_identical(e$argument, "replicates")
  # as_svrepdesign() makes the wave's matrix: the same guard
  skip_if_not_installed("survey")
  expect_error(as_svrepdesign(w, "T2", replicates = reps),
               class = "panelattrition_size_error")
})

test_that("the accessors check their arguments", {
  w <- compact_weights(~ g + age)
  reps <- replicate_weights(w, boot_control(B = 10, seed = 2, chunk = 3:7))
  expect_null(reps$T9)
  expect_null(reps[["T9"]])
  expect_pa_error(reps[[NA]], argument = "i")
  expect_pa_error(reps[c("T1", "T9")], argument = "i")
  expect_pa_error(as.matrix(reps), argument = "wave")
  expect_pa_error(as.matrix(reps, wave = "T9"), argument = "wave")
  expect_pa_error(replicate_chunk(reps, "T9"), argument = "wave")
  expect_pa_error(replicate_chunk(reps, "T1", 1:2), argument = "replicates")
  expect_pa_error(replicate_chunk(reps, "T1", "b3"), argument = "replicates")
  expect_pa_error(replicate_chunk(reps, "T1", 3, threads = 0),
                  argument = "threads")
  expect_pa_error(replicate_chunk(list(), "T1"), argument = "x")
  expect_pa_error(replicate_weights(w, boot_control(B = 5, seed = 1),
                                    storage = "sparse"),
                  argument = "storage")
  expect_identical(colnames(replicate_chunk(reps, "T1")), paste0("b", 3:7))
})
