# Sampling designs: panel_data(strata, cluster, fpc, design) and the
# design-based variances, checked against survey and against a
# numerically differentiated stacked sandwich with the design meat.

design_weights <- function(seed = 7, n = 600, frame_extra = 0, ...,
                           panel_args = list()) {
  s <- sim_design_panel(n = n, seed = seed, frame_extra = frame_extra)
  args <- c(list(s$long, id = "id", wave = "wave", baseline = c("g", "age"),
                 strata = "str", cluster = "hh", fpc = "pop"),
            if (frame_extra > 0) list(frame = s$frame), panel_args)
  panel <- do.call(panel_data, args)
  list(s = s, panel = panel, w = attrition_weights(panel, ...))
}

long_design <- function(w) {
  long <- w$panel$data
  long$wt <- w$weights[cbind(match(long$id, rownames(w$weights)),
                             as.integer(long$wave))]
  survey::svydesign(ids = ~hh, strata = ~str, fpc = ~pop, weights = ~wt,
                    nest = TRUE, data = long)
}

test_that("naive means and proportions equal svyby() on the design (simulated clustered panel)", {
  skip_if_not_installed("survey")
  m <- design_weights(formula = ~ g + age, history = "y")
  w <- m$w
  w$panel$data$hi <- w$panel$data$y > 55
  des <- long_design(w)
  est <- wave_means(w, "y", by = "g", se = "naive")
  ref <- survey::svyby(~y, ~wave + g, des, survey::svymean)
  ord <- match(paste(est$wave, est$g), paste(ref$wave, ref$g))
  expect_equal(est$estimate, unname(ref$y[ord]), tolerance = 1e-10)
  expect_equal(est$std_error, unname(survey::SE(ref)[ord]), tolerance = 1e-8)
  pr <- wave_means(w, "hi", by = "g", se = "naive")
  ref2 <- survey::svyby(~hi, ~wave + g, des, survey::svymean)
  ord2 <- match(paste(pr$wave, pr$g), paste(ref2$wave, ref2$g))
  expect_equal(pr$std_error, unname(survey::SE(ref2)[["se.hiTRUE"]][ord2]),
               tolerance = 1e-8)
  # covariances across waves: the PSU is the same at every wave
  all_waves <- wave_means(w, "y", se = "naive")
  ref3 <- survey::svyby(~y, ~wave, des, survey::svymean, covmat = TRUE)
  expect_equal(unname(vcov(all_waves)), unname(vcov(ref3)), tolerance = 1e-8)
  # the design matters here: without it the standard errors differ
  plain <- attrition_weights(panel_data(m$s$long, id = "id", wave = "wave",
                                        baseline = c("g", "age")),
                             ~ g + age, history = "y")
  flat <- wave_means(plain, "y", se = "naive")
  expect_identical(flat$estimate, all_waves$estimate)
  expect_gt(max(abs(flat$std_error / all_waves$std_error - 1)), 0.02)
})

test_that("naive changes equal svymean() of the differences on the same design", {
  skip_if_not_installed("survey")
  m <- design_weights(formula = ~ g + age, history = "y")
  w <- m$w
  ch <- panel_change(w, "y", from = "T1", to = "T3", se = "naive")
  long <- w$panel$data
  people <- unique(long$id)
  y1 <- long$y[long$wave == "T1"][match(people, long$id[long$wave == "T1"])]
  y3 <- long$y[long$wave == "T3"][match(people, long$id[long$wave == "T3"])]
  pos <- match(people, rownames(w$weights))
  pd <- data.frame(id = people, delta = y3 - y1,
                   wt = ifelse(is.na(y3 - y1), 0, w$weights[pos, 3]),
                   hh = m$s$hh[match(people, m$s$truth$id)],
                   str = m$s$str[match(people, m$s$truth$id)],
                   pop = m$s$pop[match(people, m$s$truth$id)])
  pd$wt[pd$wt == 0] <- 1
  des <- survey::svydesign(ids = ~hh, strata = ~str, fpc = ~pop,
                           weights = ~wt, nest = TRUE, data = pd)
  ref <- survey::svymean(~delta, subset(des, !is.na(delta)))
  expect_equal(ch$estimate, unname(coef(ref)), tolerance = 1e-10)
  expect_equal(ch$std_error, as.numeric(survey::SE(ref)), tolerance = 1e-8)
})

test_that("naive SEs equal svyby() on NHANES, from columns and from a survey design", {
  skip_if_not_installed("survey")
  nh <- get(utils::data("nhanes", package = "survey", envir = environment()))
  nh$id <- seq_len(nrow(nh))
  nh$wave <- "W1"
  nh$race <- factor(nh$race)
  des <- survey::svydesign(ids = ~SDMVPSU, strata = ~SDMVSTRA,
                           weights = ~WTMEC2YR, nest = TRUE, data = nh)
  p1 <- panel_data(nh, id = "id", wave = "wave",
                   baseline = c("RIAGENDR", "WTMEC2YR"),
                   strata = "SDMVSTRA", cluster = "SDMVPSU", nest = TRUE)
  w1 <- attrition_weights(p1, ~ RIAGENDR, base = "WTMEC2YR")
  p2 <- panel_data(nh, id = "id", wave = "wave", baseline = "RIAGENDR",
                   design = des)
  w2 <- attrition_weights(p2, ~ RIAGENDR)
  ref <- survey::svyby(~HI_CHOL, ~wave + RIAGENDR, des, survey::svymean,
                       na.rm = TRUE)
  for (w in list(w1, w2)) {
    est <- wave_means(w, "HI_CHOL", by = "RIAGENDR", se = "naive")
    expect_equal(est$estimate, unname(coef(ref)), tolerance = 1e-10)
    expect_equal(est$std_error, unname(survey::SE(ref)), tolerance = 1e-8)
  }
  # a categorical outcome: proportions of each level
  est <- wave_means(w2, "race", se = "naive")
  ref2 <- survey::svymean(~race, des)
  expect_equal(est$estimate, unname(coef(ref2)), tolerance = 1e-10)
  expect_equal(est$std_error, unname(survey::SE(ref2)), tolerance = 1e-8)
  # the person-level variance is smaller here (the issue's 14%)
  plain <- attrition_weights(panel_data(nh, id = "id", wave = "wave",
                                        baseline = c("RIAGENDR", "WTMEC2YR")),
                             ~ RIAGENDR, base = "WTMEC2YR")
  flat <- wave_means(plain, "HI_CHOL", se = "naive")
  with_design <- wave_means(w2, "HI_CHOL", se = "naive")
  expect_lt(flat$std_error, with_design$std_error)
})

test_that("naive SEs equal svyby() on apistrat and apiclus2 (one-wave panels with a frame, fpc)", {
  skip_if_not_installed("survey")
  env <- environment()
  utils::data("api", package = "survey", envir = env)
  st <- apistrat
  st$wave <- "2000"
  st$sw <- st$sch.wide == "Yes"
  des <- survey::svydesign(ids = ~1, strata = ~stype, fpc = ~fpc,
                           weights = ~pw, data = st)
  pan <- panel_data(st, id = "snum", wave = "wave", frame = st[c("snum", "stype", "pw", "fpc")],
                    baseline = "stype", strata = "stype", fpc = "fpc")
  w <- attrition_weights(pan, ~ stype, base = "pw")
  est <- wave_means(w, "api00", by = "stype", se = "naive")
  ref <- survey::svyby(~api00, ~stype, des, survey::svymean)
  expect_equal(est$estimate, unname(coef(ref)), tolerance = 1e-10)
  expect_equal(est$std_error, unname(survey::SE(ref)), tolerance = 1e-8)
  pr <- wave_means(w, "sw", se = "naive")
  ref2 <- survey::svymean(~sw, des)
  expect_equal(pr$std_error, unname(survey::SE(ref2))[2], tolerance = 1e-8)

  c2 <- apiclus2
  c2$wave <- "2000"
  des2 <- survey::svydesign(ids = ~dnum, fpc = ~fpc1, weights = ~pw,
                            data = c2)
  pan2 <- panel_data(c2, id = "snum", wave = "wave",
                     frame = c2[c("snum", "stype", "dnum", "fpc1", "pw")],
                     baseline = "stype", cluster = "dnum", fpc = "fpc1")
  w2 <- attrition_weights(pan2, ~ stype, base = "pw")
  est2 <- wave_means(w2, "api00", by = "stype", se = "naive")
  ref3 <- survey::svyby(~api00, ~stype, des2, survey::svymean)
  expect_equal(est2$std_error, unname(survey::SE(ref3)), tolerance = 1e-8)
  # the same from the survey design object
  pan3 <- panel_data(c2, id = "snum", wave = "wave", frame = c2["snum"],
                     baseline = character(), design = des2)
  expect_equal(pan3$design$popsize, pan2$design$popsize)
  # as_svydesign() carries the design
  back <- as_svydesign(w2, "2000")
  expect_equal(unname(survey::SE(survey::svymean(~api00, back))),
               unname(survey::SE(survey::svymean(~api00, des2))),
               tolerance = 1e-10)
})

test_that("lonely PSUs follow survey's rules", {
  skip_if_not_installed("survey")
  m <- design_weights(formula = ~ g + age, history = "y")
  long <- m$s$long
  # stratum 6: one household of its own
  lone <- long$id %in% m$s$truth$id[m$s$hh == 1]
  long$str[lone] <- 6L
  long$pop[lone] <- 10
  expect_error(
    panel_data(long, id = "id", wave = "wave", baseline = c("g", "age"),
               strata = "str", cluster = "hh", fpc = "pop",
               lonely_psu = "fail"),
    class = "panelattrition_lonely_psu_error"
  )
  for (rule in c("remove", "adjust", "average")) {
    pan <- panel_data(long, id = "id", wave = "wave", baseline = c("g", "age"),
                      strata = "str", cluster = "hh", fpc = "pop",
                      lonely_psu = rule)
    w <- attrition_weights(pan, ~ g + age, history = "y")
    est <- wave_means(w, "y", se = "naive")
    old <- options(survey.lonely.psu = rule)
    ref <- survey::svyby(~y, ~wave, long_design(w), survey::svymean)
    options(old)
    expect_equal(est$std_error, unname(survey::SE(ref)), tolerance = 1e-8,
                 label = rule)
  }
  # the option is read when the argument is not given
  old <- options(survey.lonely.psu = "fail")
  on.exit(options(old))
  expect_error(
    panel_data(long, id = "id", wave = "wave", strata = "str", cluster = "hh"),
    class = "panelattrition_lonely_psu_error"
  )
})

test_that("design sandwich equals a numerically differentiated stacked sandwich with the design meat (IPW with history)", {
  m <- design_weights(seed = 7, n = 600, formula = ~ g + age, history = "y",
                      stabilize = FALSE)
  w <- m$w
  tr <- m$s$truth
  est <- wave_means(w, "y")
  x1 <- cbind(1, tr$g == "b", tr$g == "c", tr$age, tr$y1)
  x2 <- cbind(1, tr$g == "b", tr$g == "c", tr$age, tr$y2)
  rm <- response_models(w)
  theta <- c(rm$estimate, est$estimate)
  p1 <- ncol(x1)
  psi <- function(th) {
    a1 <- th[1:p1]
    a2 <- th[p1 + 1:p1]
    mu <- th[2 * p1 + 1:3]
    q2 <- stats::plogis(drop(x1 %*% a1))
    q3 <- stats::plogis(drop(x2 %*% a2))
    cbind(x1 * (tr$r2 - q2), x2 * (tr$r3 - q3) * tr$r2,
          (tr$y1 - mu[1]),
          ifelse(tr$r2, (tr$y2 - mu[2]) / q2, 0),
          ifelse(tr$r3, (tr$y3 - mu[3]) / (q2 * q3), 0))
  }
  v <- numeric_sandwich_design(psi, theta, m$s$str, m$s$hh, m$s$pop)
  k <- 2 * p1 + 1:3
  expect_equal(unname(vcov(est)), unname(v[k, k]), tolerance = 1e-6)
  # ipw_gee() with an independence working model: its coefficients are the
  # wave means here, and its design sandwich the same matrix
  gee <- ipw_gee(y ~ wave - 1, w)
  expect_equal(unname(vcov(gee)), unname(v[k, k]), tolerance = 1e-6)
})

test_that("design sandwich counts chained calibrations", {
  m <- design_weights(seed = 9, n = 600, formula = ~ g + age, history = "y",
                      method = "calibrate", stabilize = FALSE)
  w <- m$w
  tr <- m$s$truth
  est <- wave_means(w, "y", by = "g")
  x1 <- cbind(1, tr$g == "b", tr$g == "c", tr$age, tr$y1)
  x2 <- cbind(1, tr$g == "b", tr$g == "c", tr$age, tr$y2)
  rm <- response_models(w)
  groups <- c("a", "b", "c")
  theta <- c(rm$estimate, est$estimate)
  p1 <- ncol(x1)
  psi <- function(th) {
    l1 <- th[1:p1]
    l2 <- th[p1 + 1:p1]
    mu <- matrix(th[2 * p1 + 1:9], 3, 3)
    w2 <- exp(drop(x1 %*% l1))
    w3 <- w2 * exp(drop(x2 %*% l2))
    u1 <- x1 * (tr$r2 * w2 - 1)
    u2 <- x2 * w2 * (tr$r3 * exp(drop(x2 %*% l2)) - 1) * tr$r2
    phi <- NULL
    ys <- cbind(tr$y1, tr$y2, tr$y3)
    ws <- cbind(1, ifelse(tr$r2, w2, 0), ifelse(tr$r3, w3, 0))
    for (t in 1:3) {
      for (gi in 1:3) {
        phi <- cbind(phi, ws[, t] * (tr$g == groups[gi]) * (ys[, t] - mu[gi, t]))
      }
    }
    cbind(u1, u2, phi)
  }
  v <- numeric_sandwich_design(psi, theta, m$s$str, m$s$hh, m$s$pop)
  k <- 2 * p1 + 1:9
  expect_equal(unname(vcov(est)), unname(v[k, k]), tolerance = 1e-6)
  # group contrasts use the design covariance
  cmp <- compare_groups(est, adjust = "none")
  first <- cmp[1, ]
  a <- which(est$wave == first$wave & est$g == first$group)
  b <- which(est$wave == first$wave & est$g == first$versus)
  expect_length(c(a, b), 2L)
  expect_equal(first$std_error, sqrt(v[k, k][a, a] + v[k, k][b, b] -
                                       2 * v[k, k][a, b]), tolerance = 1e-6)
})

test_that("design sandwich with a frame, stage 0 and intermittent response", {
  m <- design_weights(seed = 4, n = 500, frame_extra = 300,
                      formula = ~ g + age, monotone = FALSE,
                      stabilize = FALSE)
  w <- m$w
  s <- m$s
  est <- wave_means(w, "y", by = "g")
  groups <- levels(factor(s$truth$g))
  tr <- s$truth
  x <- cbind(1, tr$g == "b", tr$g == "c", tr$age)
  rm <- response_models(w)
  theta <- c(rm$estimate, est$estimate)
  r <- cbind(tr$r1, tr$r2, tr$r3)
  ys <- cbind(tr$y1, tr$y2, tr$y3)
  psi <- function(th) {
    a <- matrix(th[1:12], 4, 3)
    mu <- matrix(th[12 + 1:9], 3, 3)
    out <- NULL
    for (t in 1:3) {
      out <- cbind(out, x * (r[, t] - stats::plogis(drop(x %*% a[, t]))))
    }
    for (t in 1:3) {
      wt <- 1 / stats::plogis(drop(x %*% a[, t]))
      for (gi in 1:3) {
        out <- cbind(out, ifelse(r[, t] & tr$g == groups[gi],
                                 wt * (ys[, t] - mu[gi, t]), 0))
      }
    }
    out
  }
  v <- numeric_sandwich_design(psi, theta, s$str, s$hh, s$pop)
  k <- 12 + 1:9
  expect_equal(unname(vcov(est)), unname(v[k, k]), tolerance = 1e-6)
})

test_that("design errors are classed and name the argument", {
  s <- sim_design_panel(n = 120, seed = 3)
  long <- s$long
  bad <- long
  bad$str[bad$id == bad$id[1]] <- NA
  expect_error(panel_data(bad, id = "id", wave = "wave", strata = "str",
                          cluster = "hh"),
               class = "panelattrition_design_error")
  bad <- long
  bad$hh[bad$id == bad$id[1]] <- NA
  expect_error(panel_data(bad, id = "id", wave = "wave", strata = "str",
                          cluster = "hh"),
               class = "panelattrition_design_error")
  # household labels restart within strata: not nested without nest = TRUE
  crossed <- long
  crossed$hh <- (crossed$hh - 1L) %/% 5L
  err <- tryCatch(panel_data(crossed, id = "id", wave = "wave",
                             strata = "str", cluster = "hh"),
                  error = identity)
  expect_s3_class(err, "panelattrition_design_error")
  expect_match(conditionMessage(err), "nest = TRUE", fixed = TRUE)
  expect_identical(err$argument, "cluster")
  ok <- panel_data(crossed, id = "id", wave = "wave", strata = "str",
                   cluster = "hh", nest = TRUE)
  expect_identical(length(unique(ok$design$psu)),
                   nrow(unique(crossed[c("str", "hh")])))
  small <- long
  small$pop <- 2
  expect_error(panel_data(small, id = "id", wave = "wave", strata = "str",
                          cluster = "hh", fpc = "pop"),
               class = "panelattrition_design_error")
  varying <- long
  varying$pop <- varying$pop + (match(varying$id, unique(varying$id)) %% 2)
  expect_error(panel_data(varying, id = "id", wave = "wave", strata = "str",
                          cluster = "hh", fpc = "pop"),
               class = "panelattrition_design_error")
  skip_if_not_installed("survey")
  fr <- s$frame
  des <- survey::svydesign(ids = ~hh, strata = ~str, data = fr[-1, ],
                           weights = ~age,
                           nest = TRUE)
  err <- tryCatch(panel_data(long, id = "id", wave = "wave", design = des),
                  error = identity)
  expect_s3_class(err, "panelattrition_design_error")
  expect_identical(err$argument, "design")
  expect_error(panel_data(long, id = "id", wave = "wave", design = des,
                          strata = "str"),
               class = "panelattrition_arg_error")
  # the columns are named once, each in one pair of backticks
  expect_error(panel_data(long, id = "id", wave = "wave", design = des,
                          strata = "str", cluster = "psu"),
               "as columns (`strata`, `cluster`), not both", fixed = TRUE)
  # the bootstrap of a design (Rao-Wu, PSUs within strata) is tested in
  # test-bootstrap-design.R
})

test_that("a panel without a design carries no design", {
  s <- sim_design_panel(n = 60, seed = 3)
  pan <- panel_data(s$long, id = "id", wave = "wave")
  expect_false("design" %in% names(pan))
})

test_that("sensitivity functions use the design", {
  skip_if_not_installed("survey")
  m <- design_weights(seed = 5, formula = ~ g + age, history = "y")
  w <- m$w
  w$panel$data$hi <- w$panel$data$y > 55
  # Manski's lower bound is a base-weighted mean over the baseline sample
  # (unknown answers counted as 0): survey gives its design SE
  b <- attrition_bounds(w, "hi", wave = "T3")
  tr <- m$s$truth
  yk <- ifelse(tr$r3, tr$y3 > 55, 0)
  des <- survey::svydesign(ids = ~hh, strata = ~str, fpc = ~pop, nest = TRUE,
                           data = data.frame(yk = yk, hh = m$s$hh,
                                             str = m$s$str, pop = m$s$pop))
  ref <- survey::svymean(~yk, des)
  expect_equal(b$lower, unname(coef(ref)), tolerance = 1e-10)
  expect_equal(b$se_lower, as.numeric(survey::SE(ref)), tolerance = 1e-8)
  # tipping points start from the estimates' own design variance
  for (se in c("sandwich", "naive")) {
    est <- wave_means(w, "y", by = "g", se = se)
    t3 <- est[est$wave == "T3", ]
    tp <- tipping_point(t3, null = 50, delta = 0)
    expect_equal(tp$std_error, t3$std_error, tolerance = 1e-10)
  }
})

test_that("design sandwich of AIPW equals a numerically differentiated stacked sandwich with the design meat", {
  m <- design_weights(seed = 11, n = 600, formula = ~ g + age, history = "y")
  w <- m$w
  tr <- m$s$truth
  est <- wave_means(w, "y", estimator = "aipw")
  # the stacked equations of the AIPW estimator (helper-sim.R), with the
  # design meat
  st <- aipw_stack(tr, response_models(w)$estimate, est$estimate)
  expect_equal(colSums(st$psi(st$theta))[st$k], c(0, 0, 0), tolerance = 1e-8)
  v <- numeric_sandwich_design(st$psi, st$theta, m$s$str, m$s$hh, m$s$pop)
  expect_equal(unname(vcov(est)), unname(v[st$k, st$k]), tolerance = 1e-6)
  # the design changes the answer (households share outcomes and response)
  plain <- wave_means(attrition_weights(
    panel_data(m$s$long, id = "id", wave = "wave", baseline = c("g", "age")),
    ~ g + age, history = "y"), "y", estimator = "aipw")
  expect_equal(plain$estimate, est$estimate, tolerance = 1e-10)
  expect_false(isTRUE(all.equal(plain$std_error, est$std_error,
                                tolerance = 1e-3)))
})

test_that("design variance of exchangeable and AR(1) GEE: influence values totalled within PSUs, centred within strata, with the fpc", {
  m <- design_weights(seed = 13, n = 600, formula = ~ g + age, history = "y")
  w <- m$w
  for (cs in c("independence", "exchangeable", "ar1")) {
    fit <- ipw_gee(y ~ wave + g, w, corstr = cs, keep = "influence")
    infl <- fit$influence
    expect_true(is.matrix(infl))
    # the influence values are named by person; their design columns
    expect_false(is.null(rownames(infl)))
    pos <- match(rownames(infl), as.character(m$s$truth$id))
    expect_false(anyNA(pos))
    v <- design_meat(infl, m$s$str[pos], m$s$hh[pos], m$s$pop[pos])
    expect_equal(unname(vcov(fit)), unname(v), tolerance = 1e-8,
                 info = cs)
    # and the design matters: person-level totals give other SEs
    expect_false(isTRUE(all.equal(unname(vcov(fit)), crossprod(infl),
                                  tolerance = 1e-3)))
  }
})
