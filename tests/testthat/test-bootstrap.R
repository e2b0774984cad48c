boot_panel <- function(n = 800, seed = 11, frame_extra = 0, extra = NULL) {
  s <- sim_panel(n = n, seed = seed, frame_extra = frame_extra)
  long <- s$long
  baseline <- c("g", "age")
  if (!is.null(extra)) {
    long[[extra$name]] <- extra$value[match(long$id, s$truth$id)]
    baseline <- c(baseline, extra$name)
  }
  panel <- if (frame_extra > 0) {
    panel_data(long, id = "id", wave = "wave", frame = s$frame,
               baseline = baseline)
  } else {
    panel_data(long, id = "id", wave = "wave", baseline = baseline)
  }
  list(s = s, tr = s$truth, panel = panel)
}

# attrition_weights() run again with base weights r: the weighting of the
# sample in which person i counts r_i times (equal to the replicate when
# nothing is trimmed).
reweighted_pipeline <- function(panel, r, ...) {
  panel$baseline$bw <- r
  attrition_weights(panel, ..., base = "bw")$weights
}

wave_columns <- function(reps, b) {
  lapply(reps, function(m) unname(m[, paste0("b", b)]))
}

test_that("boot_control() checks its arguments and draws a reproducible seed", {
  ctrl <- boot_control(B = 10, type = "multinomial", seed = 3, threads = 2,
                       chunk = c(4, 2))
  expect_s3_class(ctrl, "pa_boot_control")
  expect_identical(ctrl$B, 10L)
  expect_identical(ctrl$chunk, c(4L, 2L))
  expect_identical(ctrl$seed, 3)
  set.seed(42)
  a <- boot_control()$seed
  set.seed(42)
  expect_identical(boot_control()$seed, a)

  err <- expect_error(boot_control(B = 1), class = "panelattrition_arg_error")
  expect_match(conditionMessage(err),
               "`B` must be a whole number of at least 2, not 1.", fixed = TRUE)
  expect_error(boot_control(type = "jackknife"), "`type` must be one of")
  expect_error(boot_control(seed = -1), "`seed` must be NULL or a whole number")
  expect_error(boot_control(seed = 2^53), class = "panelattrition_arg_error")
  expect_error(boot_control(threads = 0), "`threads` must be a whole number")
  err <- expect_error(boot_control(B = 5, chunk = 6),
                      class = "panelattrition_arg_error")
  expect_match(conditionMessage(err), "from 1 to `B` (5), not 6", fixed = TRUE)
  expect_error(boot_control(B = 5, chunk = c(1, 1)), "must not repeat")
  m <- boot_panel(n = 200)
  w <- attrition_weights(m$panel, ~ g + age)
  expect_error(replicate_weights(w, control = list(B = 10)),
               "`control` must be a pa_boot_control")
  expect_error(replicate_weights(m$panel), "`w` must be a pa_weights")
})

test_that("the draws are Bayesian-bootstrap weights or multinomial counts", {
  n <- 5000
  bayes <- boot_control(B = 200, seed = 9)
  r <- panelattrition:::boot_draws(n, bayes, 1:200)
  expect_equal(colMeans(r), rep(1, 200), tolerance = 1e-12)
  expect_true(all(r > 0))
  # E / mean(E) with E standard exponential: variance close to 1
  expect_equal(mean(apply(r, 2, stats::var)), 1, tolerance = 0.02)
  # no dependence between people, or between replicates
  expect_lt(abs(stats::cor(r[-1, 1], r[-n, 1])), 0.06)
  expect_lt(abs(stats::cor(r[, 1], r[, 2])), 0.06)

  multi <- boot_control(B = 200, type = "multinomial", seed = 9)
  k <- panelattrition:::boot_draws(n, multi, 1:200)
  expect_identical(k, round(k))
  expect_identical(colSums(k), rep(as.double(n), 200))
  # counts are Binomial(n, 1/n): mean 1, variance 1 - 1/n, P(0) ~ exp(-1)
  expect_equal(mean(apply(k, 2, stats::var)), 1 - 1 / n, tolerance = 0.02)
  expect_equal(mean(k == 0), (1 - 1 / n)^n, tolerance = 0.01)

  # a replicate's draws depend on (seed, b) only
  expect_identical(panelattrition:::boot_draws(n, bayes, c(7, 3)), r[, c(7, 3)])
  other <- boot_control(B = 200, seed = 10)
  expect_false(isTRUE(all.equal(panelattrition:::boot_draws(n, other, 1), r[, 1])))
})

# Replicates b of the weights of panel m against glm() fits with prior
# weights r, stage by stage.
expect_glm_replicates <- function(m, w, reps, ctrl, b) {
  tr <- m$tr
  draws <- panelattrition:::boot_draws(nrow(tr), ctrl, b)
  for (k in seq_along(b)) {
    r <- draws[, k]
    d1 <- data.frame(resp = tr$r2, g = tr$g, age = tr$age, y_prev = tr$y1)
    p2 <- glm_prob(resp ~ g + age + y_prev, d1, weights = r)
    at2 <- tr$r2
    d2 <- data.frame(resp = tr$r3, g = tr$g, age = tr$age,
                     y_prev = tr$y2)[at2, ]
    p3 <- glm_prob(resp ~ g + age + y_prev, d2, weights = r[at2])
    rate2 <- sum(r[tr$r2]) / sum(r)
    rate3 <- sum(r[tr$r3]) / sum(r)
    got <- wave_columns(reps, b[k])
    expect_equal(got$T1, r, tolerance = 1e-8)
    expect_equal(got$T2, unname((r / p2 * rate2)[tr$r2]), tolerance = 1e-8)
    expect_equal(got$T3,
                 unname((r[at2] / p2[at2] / p3 * rate3)[tr$r3[at2]]),
                 tolerance = 1e-8)
  }
}

test_that("a replicate re-fits the monotone logistic models with weights d * r (glm)", {
  m <- boot_panel()
  tr <- m$tr
  w <- attrition_weights(m$panel, ~ g + age, history = "y")
  ctrl <- boot_control(B = 50, seed = 2024)
  reps <- replicate_weights(w, ctrl)
  expect_s3_class(reps, "pa_replicates")
  expect_identical(names(reps), c("T1", "T2", "T3"))
  expect_identical(rownames(reps$T3), tr$id[tr$r3])
  expect_identical(colnames(reps$T2), paste0("b", 1:50))
  expect_identical(attr(reps, "indices"), 1:50)
  expect_identical(attr(reps, "failed"), integer())
  expect_glm_replicates(m, w, reps, ctrl, c(1, 17, 50))

  # with every r_i = 1 the engine gives the weights themselves: replicates
  # start from the full sample's estimates and take one more step, so the
  # two agree to the accuracy of the fits (deviance to 1e-10)
  ones <- panelattrition:::run_replicates(
    w, boot_control(B = 2, seed = 1, chunk = 1), draws = matrix(1, nrow(tr), 1)
  )
  for (t in 1:3) {
    expect_equal(unname(ones[[t]][, 1]),
                 unname(w$weights[w$panel$response[, t], t]),
                 tolerance = 1e-10)
  }
})

test_that("replicates of large stages equal glm() too", {
  # 9,000 people: the models have more than 4,096 rows, so their Newton
  # steps use the single-precision information (the estimate does not)
  m <- boot_panel(n = 9000, seed = 12)
  w <- attrition_weights(m$panel, ~ g + age, history = "y")
  expect_gt(length(w$stages[[2]]$risk), 4096)
  ctrl <- boot_control(B = 4, seed = 7)
  reps <- replicate_weights(w, ctrl)
  expect_identical(attr(reps, "failed"), integer())
  expect_glm_replicates(m, w, reps, ctrl, c(1, 4))
  mult <- boot_control(B = 2, seed = 7, type = "multinomial")
  expect_glm_replicates(m, w, replicate_weights(w, mult), mult, 1:2)
})

test_that("sequential calibration is re-done from the replicate's weights", {
  m <- boot_panel(seed = 4)
  tr <- m$tr
  w <- attrition_weights(m$panel, ~ g + age, method = "calibrate",
                         history = "y", stabilize = FALSE)
  ctrl <- boot_control(B = 5, seed = 31)
  reps <- replicate_weights(w, ctrl)
  draws <- panelattrition:::boot_draws(nrow(tr), ctrl, 1:3)
  for (b in 1:3) {
    r <- draws[, b]
    x2 <- stats::model.matrix(~ g + age + y_prev,
                              data.frame(g = tr$g, age = tr$age, y_prev = tr$y1))
    tot2 <- colSums(x2 * r)
    cal2 <- panelattrition:::calibrate_weights(x2[tr$r2, ], r[tr$r2], tot2)
    w2 <- numeric(nrow(tr))
    w2[tr$r2] <- cal2$weights
    at2 <- which(tr$r2)
    x3 <- stats::model.matrix(~ g + age + y_prev,
                              data.frame(g = tr$g, age = tr$age,
                                         y_prev = tr$y2)[at2, ])
    tot3 <- colSums(x3 * w2[at2])
    in3 <- tr$r3[at2]
    cal3 <- panelattrition:::calibrate_weights(x3[in3, ], w2[at2][in3], tot3)
    got <- wave_columns(reps, b)
    expect_equal(got$T1, r, tolerance = 1e-8)
    expect_equal(got$T2, cal2$weights, tolerance = 1e-8)
    expect_equal(got$T3, cal3$weights, tolerance = 1e-8)
    # the replicate's respondents reproduce the replicate's totals
    expect_equal(colSums(x3[in3, ] * got$T3), tot3, tolerance = 1e-9)
  }
})

test_that("replicates equal attrition_weights() with base weights d * r for every scheme", {
  m <- boot_panel(n = 500, seed = 8, frame_extra = 300)
  tr <- m$tr
  n <- nrow(tr)
  frame_x <- stats::model.matrix(~ g + age, m$s$frame)
  schemes <- list(
    list(formula = ~ g + age, numerator = ~ g),
    list(formula = ~ g + age, method = "firth", monotone = FALSE),
    list(formula = ~ g + age, method = "calibrate", calfun = "linear",
         monotone = FALSE, margins = colSums(frame_x) * 1.5),
    list(formula = ~ g + age, method = "calibrate", calfun = "logit",
         bounds = c(0.2, 8), stabilize = FALSE),
    list(formula = ~ g + age, method = "calibrate", calfun = "kott",
         history = "y", margins = colSums(frame_x) * 1.5)
  )
  for (args in schemes) {
    w <- do.call(attrition_weights, c(list(m$panel), args))
    ctrl <- boot_control(B = 4, seed = 5)
    reps <- replicate_weights(w, ctrl)
    draws <- panelattrition:::boot_draws(n, ctrl, c(2, 4))
    for (k in 1:2) {
      ref <- do.call(reweighted_pipeline, c(list(m$panel, draws[, k]), args))
      got <- wave_columns(reps, c(2, 4)[k])
      for (t in 1:3) {
        expect_equal(got[[t]], unname(ref[m$panel$response[, t], t]),
                     tolerance = 1e-8, label = paste(deparse(args), t))
      }
    }
  }
})

test_that("trimming in a replicate is trim_weights() on the resampled copies", {
  m <- boot_panel(seed = 21)
  tr <- m$tr
  n <- nrow(tr)
  resp <- m$panel$response
  for (rule in list(list(trim = 0.95), list(cap = 3))) {
    w <- do.call(attrition_weights,
                 c(list(m$panel, ~ g + age, history = "y"), rule))
    ctrl <- boot_control(B = 6, type = "multinomial", seed = 13)
    reps <- replicate_weights(w, ctrl)
    draws <- panelattrition:::boot_draws(n, ctrl, c(1, 6))
    for (k in 1:2) {
      r <- draws[, k]
      # untrimmed weights of one copy of each person, by glm()
      d1 <- data.frame(resp = tr$r2, g = tr$g, age = tr$age, y_prev = tr$y1)
      p2 <- glm_prob(resp ~ g + age + y_prev, d1, weights = r)
      at2 <- tr$r2
      d2 <- data.frame(resp = tr$r3, g = tr$g, age = tr$age,
                       y_prev = tr$y2)[at2, ]
      p3 <- rep(NA_real_, n)
      p3[at2] <- glm_prob(resp ~ g + age + y_prev, d2, weights = r[at2])
      copy <- cbind(rep(1, n), 1 / p2, 1 / (p2 * p3))
      rate <- colSums(resp * r) / sum(r)
      copy <- sweep(copy, 2, rate, "*")
      got <- wave_columns(reps, c(1, 6)[k])
      for (t in 1:3) {
        who <- which(resp[, t] & r > 0)
        times <- r[who]
        # the resampled data: person i appears r_i times
        expanded <- matrix(rep(copy[who, t], times), ncol = 1,
                           dimnames = list(NULL, "T"))
        trimmed <- panelattrition:::trim_weights(
          expanded, matrix(TRUE, nrow(expanded), 1), rule$trim, rule$cap
        )$weights[, 1]
        first <- cumsum(times) - times + 1
        expected <- numeric(sum(resp[, t]))
        expected[match(who, which(resp[, t]))] <- times * trimmed[first]
        expect_equal(got[[t]], expected, tolerance = 1e-10)
        expect_equal(sum(got[[t]]), sum(times * copy[who, t]), tolerance = 1e-10)
      }
    }
  }
})

test_that("replicates are identical for any number of threads and any split", {
  m <- boot_panel(seed = 2)
  for (args in list(list(~ g + age, history = "y", trim = 0.98),
                    list(~ g + age, method = "calibrate"))) {
    w <- do.call(attrition_weights, c(list(m$panel), args))
    for (type in c("bayes", "multinomial")) {
      one <- replicate_weights(w, boot_control(B = 24, type = type, seed = 77,
                                               threads = 1),
                               storage = "dense")
      two <- replicate_weights(w, boot_control(B = 24, type = type, seed = 77,
                                               threads = 2),
                               storage = "dense")
      expect_identical(two, one)
      expect_identical(replicate_weights(w, boot_control(B = 24, type = type,
                                                         seed = 77),
                                         storage = "dense"), one)
      chunks <- list(c(20:24, 1:3), 4:11, 12:19)
      parts <- lapply(chunks, function(idx) {
        replicate_weights(w, boot_control(B = 24, type = type, seed = 77,
                                          threads = 2, chunk = idx),
                          storage = "dense")
      })
      expect_identical(combine_replicates(parts), one)
      expect_identical(combine_replicates(rev(parts)), one)
      # a chunk holds exactly the columns of its replicates
      expect_identical(unclass(parts[[1]])$T2,
                       unclass(one)$T2[, paste0("b", chunks[[1]])])
      other <- replicate_weights(w, boot_control(B = 24, type = type, seed = 78))
      expect_false(isTRUE(all.equal(other$T3, one$T3)))
    }
  }
  w <- attrition_weights(m$panel, ~ g + age)
  parts <- lapply(list(1:3, 3:5), function(idx) {
    replicate_weights(w, boot_control(B = 5, seed = 1, chunk = idx))
  })
  expect_error(combine_replicates(parts), "Replicate 3 is in more than one chunk")
  parts[[2]] <- replicate_weights(w, boot_control(B = 5, seed = 2, chunk = 4:5))
  expect_error(combine_replicates(parts), "their seeds differ")
})

test_that("chunks computed on future workers combine to the single-process result", {
  skip_if_not_installed("future.apply")
  skip_on_cran()
  m <- boot_panel(n = 400, seed = 6)
  w <- attrition_weights(m$panel, ~ g + age, history = "y")
  single <- replicate_weights(w, boot_control(B = 30, seed = 555),
                              storage = "dense")
  old <- future::plan(future::multisession, workers = 2)
  on.exit(future::plan(old), add = TRUE)
  parts <- future.apply::future_lapply(split(1:30, rep(1:3, each = 10)),
                                       function(idx) {
    panelattrition::replicate_weights(
      w, panelattrition::boot_control(B = 30, seed = 555, chunk = idx),
      storage = "dense"
    )
  })
  expect_identical(combine_replicates(parts), single)
})

test_that("a replicate whose model cannot be fitted is recorded, not fatal", {
  # a rare category: at T2 three people at risk, one of whom drops out; at
  # T3 two at risk, one of whom drops out. A resample that leaves out
  # every rare person on one side of an outcome separates that model.
  s <- sim_panel(n = 300, seed = 12)
  tr <- s$truth
  rare <- c(which(!tr$r2)[1], which(tr$r2 & tr$r3)[1],
            which(tr$r2 & !tr$r3)[1])
  h <- rep("common", nrow(tr))
  h[rare] <- "rare"
  m <- boot_panel(n = 300, seed = 12, extra = list(name = "h", value = h))
  w <- attrition_weights(m$panel, ~ h + age)
  ctrl <- boot_control(B = 40, type = "multinomial", seed = 4)
  warn <- expect_warning(reps <- replicate_weights(w, ctrl),
                         class = "panelattrition_bootstrap_warning")
  failed <- attr(reps, "failed")
  expect_gt(length(failed), 0L)
  expect_lt(length(failed), 40L)
  expect_match(conditionMessage(warn),
               sprintf("^replicate_weights\\(\\): %d of 40 bootstrap replicates failed",
                       length(failed)))
  # exactly the replicates in which a rare outcome was not drawn
  drawn <- panelattrition:::boot_draws(nrow(tr), ctrl, 1:40)[rare, ] > 0
  at_t2 <- !drawn[1, ] | !(drawn[2, ] | drawn[3, ])
  at_t3 <- !drawn[2, ] | !drawn[3, ]
  expect_identical(failed, which(at_t2 | at_t3))
  fl <- attr(reps, "failures")
  expect_identical(fl$replicate, failed)
  expect_identical(fl$wave, ifelse(at_t2, "T2", "T3")[failed])
  expect_true(all(fl$stage == "response model"))
  expect_true(all(fl$reason %in% c("separation", "linearly dependent columns")))
  expect_true(all(is.na(reps$T3[, paste0("b", failed)])))
  expect_false(anyNA(reps$T3[, -failed]))
})

test_that("as_svrepdesign() gives wave_means() estimates and bootstrap standard errors", {
  skip_if_not_installed("survey")
  m <- boot_panel(n = 1000, seed = 19)
  w <- attrition_weights(m$panel, ~ g + age, history = "y")
  reps <- replicate_weights(w, boot_control(B = 1000, seed = 8, threads = 2))
  est <- wave_means(w, "y")
  for (t in c("T2", "T3")) {
    des <- as_svrepdesign(w, t, replicates = reps)
    expect_s3_class(des, "svyrep.design")
    fit <- survey::svymean(~y, des)
    expect_equal(unname(stats::coef(fit)), est$estimate[est$wave == t],
                 tolerance = 1e-10)
    # survey's variance is that of the replicate estimates, divisor B - 1
    y <- m$panel$data$y[m$panel$data$wave == t]
    theta <- colSums(reps[[t]] * y) / colSums(reps[[t]])
    expect_equal(as.numeric(survey::SE(fit)), stats::sd(theta),
                 tolerance = 1e-10)
    # and close to the sandwich standard error, which also counts the
    # estimated weights (Monte Carlo error of B = 1000: about 2%)
    ratio <- as.numeric(survey::SE(fit)) / est$std_error[est$wave == t]
    expect_gt(ratio, 0.85)
    expect_lt(ratio, 1.15)
  }
  small <- as_svrepdesign(w, "T3", control = boot_control(20, seed = 1))
  expect_identical(ncol(small$repweights), 20L)
  expect_error(as_svrepdesign(w, "T4"), "`wave` must be one of the panel's waves")
  expect_error(as_svrepdesign(w, "T2", B = 10, control = boot_control(20)),
               "`B` \\(10\\) and `control\\$B` \\(20\\) differ")
})

test_that("as_svydesign() treats the weights as known", {
  skip_if_not_installed("survey")
  m <- boot_panel(seed = 23)
  w <- attrition_weights(m$panel, ~ g + age, history = "y")
  naive <- wave_means(w, "y", se = "naive")
  n <- nrow(m$panel$response)
  for (t in c("T1", "T3")) {
    des <- as_svydesign(w, t)
    fit <- survey::svymean(~y, des)
    row <- naive$wave == t
    expect_equal(unname(stats::coef(fit)), naive$estimate[row],
                 tolerance = 1e-10)
    # the design's clusters are the wave's respondents, wave_means()'s
    # everyone in the panel's data: only the n / (n - 1) factor differs
    nt <- sum(m$panel$response[, t])
    expect_equal(as.numeric(survey::SE(fit)),
                 naive$std_error[row] * sqrt(nt / (nt - 1) / (n / (n - 1))),
                 tolerance = 1e-8)
    expect_identical(as.character(des$variables$id),
                     rownames(m$panel$response)[m$panel$response[, t]])
  }
})

test_that("replicates of a separated Firth stage equal brglm2 with prior weights r", {
  skip_if_not_installed("brglm2")
  set.seed(33)
  n <- 400
  z <- stats::rbinom(n, 1, 0.5)
  x <- stats::rnorm(n)
  r2 <- z == 1                        # z predicts T2 response perfectly
  ids <- sprintf("id%03d", seq_len(n))
  long <- rbind(data.frame(id = ids, wave = "T1", x = x, z = z, y = x),
                data.frame(id = ids, wave = "T2", x = x, z = z, y = x)[r2, ])
  panel <- panel_data(long, id = "id", wave = "wave", baseline = c("x", "z"))
  w <- attrition_weights(panel, ~ x + z, method = "firth", stabilize = FALSE)
  ctrl <- boot_control(B = 3, seed = 17)
  reps <- replicate_weights(w, ctrl)
  expect_length(attr(reps, "failed"), 0L)
  draws <- panelattrition:::boot_draws(n, ctrl, 1:3)
  d <- data.frame(r = as.numeric(r2), x = x, z = z)
  for (b in 1:3) {
    d$.w <- draws[, b]
    fit0 <- suppressWarnings(stats::glm(
      r ~ x + z, family = stats::binomial(), data = d, weights = .w,
      method = brglm2::brglmFit, type = "MPL_Jeffreys"
    ))
    fit <- suppressWarnings(stats::glm(
      r ~ x + z, family = stats::binomial(), data = d, weights = .w,
      method = brglm2::brglmFit, type = "MPL_Jeffreys",
      start = stats::coef(fit0), epsilon = 1e-12, maxit = 5000
    ))
    # a replicate weight is r / p; 1 / p - 1 = exp(-eta) keeps the digits
    # that p, within 1e-4 of 1, would lose
    got <- reps$T2[, paste0("b", b)] / draws[r2, b] - 1
    expect_equal(unname(-log(got)), unname(stats::predict(fit)[r2]),
                 tolerance = 1e-6)
  }
})
