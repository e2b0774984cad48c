# Bootstrap standard errors of tilt_sensitivity() (issue 16, item 1): each
# replicate refits every stage of the weights with base weights d * m
# (the package's bootstrap draws) and tilts the refitted stages.

# logit P(R_t = 1 | past, y_t) = a_t + 0.4 x - 0.6 y_{t-1} + alpha y_t
# (as in test-truth-sensitivity.R)
sim_mnar_boot <- function(n, alpha = 0.5, seed = 1601) {
  set.seed(seed)
  x <- stats::rnorm(n)
  g <- factor(sample(c("a", "b"), n, TRUE))
  y1 <- 1 + 0.5 * x + 0.3 * (g == "b") + stats::rnorm(n)
  y2 <- 0.5 + 0.7 * y1 + 0.3 * x + stats::rnorm(n)
  y3 <- 0.5 + 0.7 * y2 + 0.3 * x + stats::rnorm(n)
  r2 <- stats::runif(n) < stats::plogis(0.8 + 0.4 * x - 0.6 * y1 + alpha * y2)
  r3 <- r2 & stats::runif(n) <
    stats::plogis(0.6 + 0.3 * x - 0.6 * y2 + alpha * y3)
  ids <- sprintf("i%05d", seq_len(n))
  long <- rbind(
    data.frame(id = ids, wave = "T1", x = x, g = g, y = y1),
    data.frame(id = ids, wave = "T2", x = x, g = g, y = y2)[r2, ],
    data.frame(id = ids, wave = "T3", x = x, g = g, y = y3)[r3, ]
  )
  long$hi <- long$y > 1.5
  panel <- panel_data(long, id = "id", wave = "wave", baseline = c("x", "g"))
  list(panel = panel, truth = c(T2 = mean(y2), T3 = mean(y3)))
}

test_that("bootstrap tilting at the true alpha covers the truth (n = 20,000)", {
  s <- sim_mnar_boot(20000)
  w <- attrition_weights(s$panel, ~ x, history = "y")
  tb <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), se = "bootstrap",
                         control = boot_control(B = 20, seed = 16),
                         tipping = FALSE)
  at <- tb[tb$alpha == 0.5, ]
  z <- (at$estimate - s$truth) / at$std_error
  expect_true(all(abs(z) < 4), info = toString(z))
  # the MAR estimate is off by more than 4 bootstrap SE: the test has power
  mar <- tb[tb$alpha == 0, ]
  expect_true(all(abs(mar$estimate - s$truth) / mar$std_error > 4))
  expect_equal(attr(tb, "se"), "bootstrap")
})

test_that("at alpha = 0 the bootstrap is wave_means(se = \"bootstrap\")'s, replicate by replicate", {
  s <- sim_mnar_boot(3000, seed = 5)
  w <- attrition_weights(s$panel, ~ x, history = "y")
  ctrl <- boot_control(B = 30, seed = 3)
  wm <- wave_means(w, "y", se = "bootstrap", control = ctrl)
  wm_reps <- attr(wm, "replicates")
  for (anchor in c(TRUE, FALSE)) {
    tb <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), se = "bootstrap",
                           control = ctrl, tipping = FALSE, anchor = anchor)
    zero <- tb$alpha == 0
    # anchored: the C replicates themselves; unanchored: the R refit of
    # every stage, equal to the C engine's to rounding
    tol <- if (anchor) 1e-12 else 1e-8
    expect_equal(tb$std_error[zero], wm$std_error[2:3], tolerance = tol)
    reps <- attr(tb, "replicates")
    expect_equal(dim(reps), c(30L, nrow(tb)))
    expect_equal(unname(reps[, zero]), unname(wm_reps[, 2:3]),
                 tolerance = tol)
    # percentile intervals, as wave_means() gives them
    expect_equal(tb$conf_low[zero], wm$conf_low[2:3], tolerance = tol)
    expect_equal(tb$conf_high[zero], wm$conf_high[2:3], tolerance = tol)
  }
  # calibration with multinomial draws (people not drawn count for nothing)
  wk <- attrition_weights(s$panel, ~ x, method = "calibrate",
                          calfun = "raking")
  ctrl_m <- boot_control(B = 30, seed = 4, type = "multinomial")
  tk <- tilt_sensitivity(wk, "y", alpha = c(0, 0.3), se = "bootstrap",
                         control = ctrl_m, tipping = FALSE, anchor = FALSE)
  wk_m <- wave_means(wk, "y", se = "bootstrap", control = ctrl_m)
  expect_equal(tk$std_error[tk$alpha == 0], wk_m$std_error[2:3],
               tolerance = 1e-8)
  # a category's proportion
  tp <- tilt_sensitivity(w, "hi", alpha = c(0, 0.5), se = "bootstrap",
                         control = ctrl, tipping = FALSE, anchor = FALSE)
  wp <- wave_means(w, "hi", se = "bootstrap", control = ctrl)
  expect_equal(tp$std_error[tp$alpha == 0], wp$std_error[2:3],
               tolerance = 1e-8)
})

test_that("the bootstrap SE is near the sandwich at the true alpha, and reproducible", {
  s <- sim_mnar_boot(3000, seed = 5)
  w <- attrition_weights(s$panel, ~ x, history = "y")
  ctrl <- boot_control(B = 200, seed = 3, threads = 2)
  tb <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), se = "bootstrap",
                         control = ctrl, tipping = FALSE)
  ts <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), tipping = FALSE)
  expect_equal(tb$estimate, ts$estimate)
  at <- tb$alpha == 0.5
  ratio <- tb$std_error[at] / ts$std_error[at]
  expect_true(all(abs(ratio - 1) < 0.10), info = toString(ratio))
  # the same seed gives the same numbers, on 1 thread or 2
  two <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), se = "bootstrap",
                          control = boot_control(B = 20, seed = 8,
                                                 threads = 2),
                          tipping = FALSE)
  one <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), se = "bootstrap",
                          control = boot_control(B = 20, seed = 8,
                                                 threads = 1),
                          tipping = FALSE)
  expect_identical(one, two)
  # changes and differences between groups run through the same replicates
  ch <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), from = "T1",
                         se = "bootstrap", control = boot_control(B = 20, seed = 1),
                         tipping = FALSE)
  expect_true(all(is.finite(ch$std_error) & ch$conf_low < ch$estimate &
                    ch$estimate < ch$conf_high))
  df <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), by = "g", ref = "a",
                         se = "bootstrap", control = boot_control(B = 20, seed = 1),
                         tipping = FALSE)
  expect_equal(unique(df$group), "b - a")
  expect_true(all(is.finite(df$std_error)))
})

test_that("with a sampling design the replicates resample PSUs, near the design sandwich", {
  s <- sim_design_panel(n = 1500, seed = 3, frame_extra = 300)
  pd <- panel_data(s$long, id = "id", wave = "wave", frame = s$frame,
                   baseline = c("g", "age"), strata = "str", cluster = "hh",
                   fpc = "pop")
  w <- attrition_weights(pd, ~ g + age, history = "y")
  ctrl <- boot_control(B = 200, seed = 9)
  tb <- tilt_sensitivity(w, "y", alpha = c(0, 0.03), se = "bootstrap",
                         control = ctrl, tipping = FALSE)
  ts <- tilt_sensitivity(w, "y", alpha = c(0, 0.03), tipping = FALSE)
  ratio <- tb$std_error / ts$std_error
  expect_true(all(abs(ratio - 1) < 0.15), info = toString(ratio))
  wm <- wave_means(w, "y", se = "bootstrap", control = ctrl)
  expect_equal(tb$std_error[tb$alpha == 0], wm$std_error[2:3],
               tolerance = 1e-12)
  # random groups would ignore the design: the jackknife is refused
  err <- expect_error(tilt_sensitivity(w, "y", alpha = c(0, 0.03),
                                       se = "jackknife"),
                      class = "panelattrition_arg_error")
  expect_identical(err$argument, "se")
})

test_that("bad control for the bootstrap gives classed errors", {
  s <- sim_panel(n = 400, seed = 2)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  expect_error(
    tilt_sensitivity(w, "y", alpha = c(0, 0.01), se = "bootstrap",
                     control = list(maxit = 10, epsilon = 1e-8)),
    class = "panelattrition_arg_error"
  )
  err <- tryCatch(
    tilt_sensitivity(w, "y", alpha = c(0, 0.01),
                     control = boot_control(B = 10, seed = 1)),
    panelattrition_arg_error = function(e) e
  )
  expect_s3_class(err, "panelattrition_arg_error")
  expect_equal(err$argument, "control")
  expect_match(conditionMessage(err), "tilt_sensitivity")
  expect_error(
    tilt_sensitivity(w, "y", alpha = c(0, 0.01), se = "bootstrap",
                     control = boot_control(B = 1)),
    class = "panelattrition_arg_error"
  )
})

test_that("failed replicates are left out at every alpha, with the bootstrap's warning", {
  s <- sim_panel(n = 300, seed = 2)
  tr <- s$truth
  # two people of group c drop out at T2: some multinomial replicates draw
  # neither, and the response model at T2 separates
  lng <- s$long
  drop_c <- tr$id[tr$g == "c" & !tr$r2]
  extra <- lng[lng$wave == "T1" & lng$id %in% drop_c[-(1:2)], ]
  extra$wave <- "T2"
  panel <- panel_data(rbind(lng, extra), id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, monotone = FALSE)
  ctrl <- boot_control(B = 40, seed = 1, type = "multinomial")
  expect_warning(
    tb <- tilt_sensitivity(w, "y", alpha = c(0, 0.01), wave = "T2",
                           se = "bootstrap", control = ctrl,
                           tipping = FALSE),
    class = "panelattrition_bootstrap_warning"
  )
  failed <- attr(tb, "failed")
  expect_true(length(failed) > 0L && length(failed) < 40L)
  reps <- attr(tb, "replicates")
  expect_true(all(is.na(reps[failed, ])))
  expect_true(all(!is.na(reps[-failed, ])))
  ok <- reps[-failed, , drop = FALSE]
  expect_equal(tb$std_error, unname(apply(ok, 2, stats::sd)))
})

test_that("with the bootstrap the tipping alpha is where the bootstrap interval crosses the null", {
  s <- sim_mnar_boot(2000, seed = 5)
  w <- attrition_weights(s$panel, ~ x, history = "y")
  ctrl <- boot_control(B = 30, seed = 2)
  tb <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), from = "T1", wave = "T3",
                         se = "bootstrap", control = ctrl)
  tip <- attr(tb, "tipping")
  expect_identical(tip$conclusion, "excludes null")
  a <- tip$tipping_alpha
  expect_true(is.finite(a) && a > 0.5)
  # an independent evaluation at that alpha: the lower bound of the
  # bootstrap percentile interval is at the null (0)
  at <- tilt_sensitivity(w, "y", alpha = c(0, a), from = "T1", wave = "T3",
                         se = "bootstrap", control = ctrl, tipping = FALSE)
  expect_equal(at$conf_low[at$alpha == a], 0, tolerance = 1e-6)
  # a little before it the interval still excludes the null, after it not
  near <- tilt_sensitivity(w, "y", alpha = c(0, a - 0.01, a + 0.01),
                           from = "T1", wave = "T3", se = "bootstrap",
                           control = ctrl, tipping = FALSE)
  expect_gt(near$conf_low[near$alpha == a - 0.01], 0)
  expect_lt(near$conf_low[near$alpha == a + 0.01], 0)
  # not the sandwich's tipping point
  ts <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), from = "T1", wave = "T3")
  expect_gt(abs(attr(ts, "tipping")$tipping_alpha - a), 1e-3)
  # the estimate criterion does not depend on the variance
  te <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), from = "T1", wave = "T3",
                         se = "bootstrap", control = ctrl,
                         criterion = "estimate")
  se_ <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), from = "T1",
                          wave = "T3", criterion = "estimate")
  expect_equal(attr(te, "tipping")$tipping_alpha,
               attr(se_, "tipping")$tipping_alpha, tolerance = 1e-10)
})

test_that("print() says which variance was used and whether the curve is anchored", {
  s <- sim_mnar_boot(1000, seed = 6)
  w <- attrition_weights(s$panel, ~ x, history = "y")
  tb <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), se = "bootstrap",
                         control = boot_control(B = 12, seed = 4,
                                                type = "multinomial"),
                         tipping = FALSE, anchor = FALSE)
  out <- utils::capture.output(res <- print(tb))
  expect_identical(res, tb)
  expect_true(any(grepl("multinomial bootstrap, B = 12 (seed 4)", out,
                        fixed = TRUE)))
  expect_true(any(grepl("percentile intervals; not anchored", out,
                        fixed = TRUE)))
  expect_identical(attr(tb, "bootstrap"),
                   list(B = 12L, type = "multinomial", seed = 4))
  ts <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), null = 1.2)
  out <- utils::capture.output(print(ts))
  expect_true(any(grepl(paste("Standard errors: sandwich counting every",
                              "stage of the tilted weights; anchored on the",
                              "input weights' estimate; tipping points on",
                              "the sandwich intervals."), out, fixed = TRUE)))
})

test_that("the delete-a-group jackknife: delete-one equals refitting without each person", {
  s <- sim_mnar_boot(90, seed = 12)
  w <- attrition_weights(s$panel, ~ x, history = "y")
  n <- nrow(w$weights)
  jk <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), wave = "T3",
                         se = "jackknife", control = list(groups = n),
                         tipping = FALSE)
  # by hand: the panel without person i, its weights and tilted mean
  long <- w$panel$data
  ids <- rownames(w$weights)
  hand <- vapply(ids, function(id) {
    pi <- panel_data(long[long$id != id, ], id = "id", wave = "wave",
                     baseline = c("x", "g"))
    wi <- attrition_weights(pi, ~ x, history = "y")
    ti <- tilt_sensitivity(wi, "y", alpha = c(0, 0.5), wave = "T3",
                           tipping = FALSE)
    ti$estimate[ti$alpha == 0.5]
  }, numeric(1))
  se_hand <- sqrt((n - 1) / n * sum((hand - mean(hand))^2))
  expect_equal(jk$std_error[jk$alpha == 0.5], se_hand, tolerance = 1e-6)
  reps <- attr(jk, "replicates")
  # each person is one group, in a random order: the same set of estimates
  expect_equal(sort(unname(reps[, jk$alpha == 0.5])), sort(unname(hand)),
               tolerance = 1e-6)
  q <- stats::qt(0.975, n - 1)
  at <- jk[jk$alpha == 0.5, ]
  expect_equal(c(at$conf_low, at$conf_high),
               at$estimate + c(-1, 1) * q * at$std_error)
})

test_that("jackknife tilting at the true alpha covers the truth (n = 20,000); tipping on its intervals", {
  s <- sim_mnar_boot(20000)
  w <- attrition_weights(s$panel, ~ x, history = "y")
  jk <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), se = "jackknife",
                         control = list(groups = 20, seed = 3),
                         tipping = FALSE)
  at <- jk[jk$alpha == 0.5, ]
  z <- (at$estimate - s$truth) / at$std_error
  expect_true(all(abs(z) < 4), info = toString(z))
  mar <- jk[jk$alpha == 0, ]
  expect_true(all(abs(mar$estimate - s$truth) / mar$std_error > 4))
  # G - 1 / G times the sum of squares of the replicates
  reps <- attr(jk, "replicates")
  dev <- sweep(reps, 2, colMeans(reps))
  expect_equal(jk$std_error, unname(sqrt(19 / 20 * colSums(dev^2))))
  out <- utils::capture.output(print(jk))
  expect_true(any(grepl("delete-a-group jackknife, 20 random groups (seed 3)",
                        out, fixed = TRUE)))
  # tipping alpha: where the jackknife interval's bound crosses the null
  small <- sim_mnar_boot(1500, seed = 8)
  ws <- attrition_weights(small$panel, ~ x, history = "y")
  ctrl <- list(groups = 10, seed = 2)
  tc <- tilt_sensitivity(ws, "y", alpha = c(0, 0.5), from = "T1",
                         wave = "T3", se = "jackknife", control = ctrl)
  a <- attr(tc, "tipping")$tipping_alpha
  chk <- tilt_sensitivity(ws, "y", alpha = c(0, a), from = "T1", wave = "T3",
                          se = "jackknife", control = ctrl, tipping = FALSE)
  expect_equal(chk$conf_low[chk$alpha == a], 0, tolerance = 1e-6)
  # bad control and a sampling design are classed errors
  err <- expect_error(tilt_sensitivity(w, "y", alpha = c(0, 0.5),
                                       se = "jackknife",
                                       control = list(groups = 1)),
                      class = "panelattrition_arg_error")
  expect_identical(err$argument, "control$groups")
  err <- expect_error(tilt_sensitivity(w, "y", alpha = c(0, 0.5),
                                       se = "jackknife",
                                       control = boot_control(B = 5)),
                      class = "panelattrition_arg_error")
  expect_identical(err$argument, "control")
})

test_that("the jackknife's bias correction of the tilt: hand computation, nil at alpha = 0", {
  s <- sim_mnar_boot(1200, seed = 21)
  w <- attrition_weights(s$panel, ~ x, history = "y")
  al <- c(-0.2, 0, 0.5)
  ctrl <- list(groups = 15, seed = 4)
  jk <- tilt_sensitivity(w, "y", alpha = al, by = "g", se = "jackknife",
                         control = ctrl, tipping = FALSE)
  raw <- tilt_sensitivity(w, "y", alpha = al, by = "g", se = "jackknife",
                          control = c(ctrl, bias_correct = FALSE),
                          tipping = FALSE)
  sand <- tilt_sensitivity(w, "y", alpha = al, by = "g", tipping = FALSE)
  # without the correction the estimates are the sandwich's; the standard
  # errors and replicates do not depend on it
  expect_identical(raw$estimate, sand$estimate)
  expect_identical(jk$std_error, raw$std_error)
  expect_identical(attr(jk, "replicates"), attr(raw, "replicates"))
  # at alpha = 0 the estimate stays the input weights' own
  m <- wave_means(w, "y", by = "g")
  at0 <- jk[jk$alpha == 0, ]
  ref <- m$estimate[match(paste(at0$wave, at0$group), paste(m$wave, m$g))]
  expect_equal(at0$estimate, ref, tolerance = 1e-10)
  # by hand: the estimate less (G - 1) times the replicates' mean shift
  # from alpha = 0 minus the full sample's shift
  reps <- attr(jk, "replicates")
  G <- nrow(reps)
  hand <- vapply(seq_len(nrow(jk)), function(k) {
    k0 <- which(jk$alpha == 0 & jk$wave == jk$wave[k] &
                  jk$group == jk$group[k])
    shift <- raw$estimate[k] - raw$estimate[k0]
    raw$estimate[k] - (G - 1) * (mean(reps[, k] - reps[, k0]) - shift)
  }, numeric(1))
  expect_equal(jk$estimate, hand, tolerance = 1e-12)
  expect_true(any(abs(jk$estimate - raw$estimate) > 1e-6))
  q <- stats::qt(0.975, G - 1)
  expect_equal(jk$conf_low, jk$estimate - q * jk$std_error)
  # a between-group difference is corrected the same way
  dj <- tilt_sensitivity(w, "y", alpha = al, by = "g", ref = "a",
                         se = "jackknife", control = ctrl, tipping = FALSE)
  dr <- tilt_sensitivity(w, "y", alpha = al, by = "g", ref = "a",
                         se = "jackknife", control = c(ctrl, bias_correct = FALSE),
                         tipping = FALSE)
  rd <- attr(dj, "replicates")
  hand_d <- vapply(seq_len(nrow(dj)), function(k) {
    k0 <- which(dj$alpha == 0 & dj$wave == dj$wave[k])
    dr$estimate[k] - (G - 1) * (mean(rd[, k] - rd[, k0]) -
                                  (dr$estimate[k] - dr$estimate[k0]))
  }, numeric(1))
  expect_equal(dj$estimate, hand_d, tolerance = 1e-12)
  out <- utils::capture.output(print(jk))
  expect_true(any(grepl("less the jackknife's estimate of the tilt's bias",
                        out, fixed = TRUE)))
  out <- utils::capture.output(print(raw))
  expect_false(any(grepl("estimate of the tilt's bias", out, fixed = TRUE)))
  err <- expect_error(tilt_sensitivity(w, "y", alpha = al, se = "jackknife",
                                       control = list(bias_correct = NA)),
                      class = "panelattrition_arg_error")
  expect_identical(err$argument, "control$bias_correct")
})

test_that("jackknife tipping points use the bias-corrected estimates off the grid", {
  s <- sim_mnar_boot(1500, seed = 8)
  w <- attrition_weights(s$panel, ~ x, history = "y")
  ctrl <- list(groups = 10, seed = 2)
  for (bc in c(TRUE, FALSE)) {
    cc <- c(ctrl, bias_correct = bc)
    tc <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), wave = "T3",
                           null = 1.6, se = "jackknife", control = cc)
    tp <- attr(tc, "tipping")
    a <- tp$tipping_alpha
    expect_false(is.na(a))
    chk <- tilt_sensitivity(w, "y", alpha = c(0, a), wave = "T3",
                            se = "jackknife", control = cc, tipping = FALSE)
    at <- chk[chk$alpha == a, ]
    # one of the interval's bounds is the null there
    bounds <- c(at$conf_low, at$conf_high)
    expect_equal(bounds[which.min(abs(bounds - 1.6))], 1.6, tolerance = 1e-6)
    # the criterion "estimate": where the (corrected) estimate crosses
    te <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), wave = "T3",
                           null = 1.6, criterion = "estimate",
                           se = "jackknife", control = cc)
    ae <- attr(te, "tipping")$tipping_alpha
    if (!is.na(ae)) {
      ce <- tilt_sensitivity(w, "y", alpha = c(0, ae), wave = "T3",
                             se = "jackknife", control = cc, tipping = FALSE)
      expect_equal(ce$estimate[ce$alpha == ae], 1.6, tolerance = 1e-6)
    }
  }
})
