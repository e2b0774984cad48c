# Benchmark of attrition_weights() against the same weights built with
# glm() by hand, and of its calibration against survey::calibrate().
#
#   Rscript bench/weights.R [n ...]      (default 1e4 1e5 1e6 people)
#
# The package must be installed where R finds it (e.g. R_LIBS=/path/to/lib).
# Set BENCH_ORACLE_LIMIT (seconds, default 180) to change how long one run
# of glm() or survey::calibrate() may be expected to take before it is
# skipped at the largest sizes. See bench/README.md.

suppressPackageStartupMessages({
  library(panelattrition)
  library(survey)
})

args <- commandArgs(trailingOnly = TRUE)
sizes <- if (length(args)) as.numeric(args) else c(1e4, 1e5, 1e6)
if (anyNA(sizes) || any(sizes < 100) || any(sizes != round(sizes))) {
  stop("each n must be a whole number of at least 100, such as 1e5")
}
sizes <- sort(sizes)
n_runs <- 3L
oracle_limit <- as.numeric(Sys.getenv("BENCH_ORACLE_LIMIT", "180"))

# ---------------------------------------------------------------------------
# The panel: simulate_panel() from bench/simulate.R, next to this script

bench_dir <- dirname(sub("^--file=", "",
                         grep("^--file=", commandArgs(FALSE), value = TRUE)[1L]))
source(file.path(bench_dir, "simulate.R"))

# ---------------------------------------------------------------------------
# The oracles

# Inverse-probability weights as one would write them with glm(): at each
# wave, among those who answered the wave before, a logistic model of
# answering on the covariates and the previous wave's y; the weight is the
# previous weight over the fitted probability. glm() gets the package's
# convergence tolerance (relative change in deviance 1e-10), since its
# default of 1e-8 leaves the weights about 1e-8 from the optimum.
glm_weights <- function(panel, covariates) {
  resp <- panel$response
  people <- panel$baseline
  answers <- panel$data
  model <- stats::reformulate(c(covariates, "y_prev"), response = "answered")
  w <- matrix(NA_real_, nrow(resp), ncol(resp), dimnames = dimnames(resp))
  w[resp[, 1L], 1L] <- 1
  for (t in seq_len(ncol(resp))[-1L]) {
    risk <- which(resp[, t - 1L])
    before <- answers[answers$wave == panel$waves[t - 1L], c("id", "y")]
    at_risk <- people[risk, covariates]
    at_risk$y_prev <- before$y[match(people$id[risk], before$id)]
    at_risk$answered <- resp[risk, t]
    fit <- stats::glm(model, family = stats::binomial(), data = at_risk,
                      control = stats::glm.control(epsilon = 1e-10,
                                                   maxit = 100))
    stay <- at_risk$answered
    w[risk[stay], t] <- w[risk[stay], t - 1L] / stats::fitted(fit)[stay]
  }
  w
}

# Calibration of each later wave's respondents to the totals of the
# baseline sample (the first wave, every weight 1), one wave at a time.
survey_calibration <- function(panel, formula) {
  resp <- panel$response
  people <- panel$baseline
  totals <- colSums(stats::model.matrix(formula, people[resp[, 1L], ]))
  w <- matrix(NA_real_, nrow(resp), ncol(resp), dimnames = dimnames(resp))
  w[resp[, 1L], 1L] <- 1
  for (t in seq_len(ncol(resp))[-1L]) {
    here <- people[resp[, t], , drop = FALSE]
    here$start <- 1
    design <- survey::svydesign(ids = ~1, weights = ~start, data = here)
    cal <- survey::calibrate(design, formula, population = totals,
                             calfun = "raking", epsilon = 1e-12)
    w[resp[, t], t] <- stats::weights(cal)
  }
  w
}

max_rel_diff <- function(a, b) {
  a <- unname(a)
  b <- unname(b)
  if (!identical(is.na(a), is.na(b))) return(Inf)
  ok <- !is.na(a)
  max(abs(a[ok] - b[ok]) / abs(b[ok]))
}

# ---------------------------------------------------------------------------
# Load: CPU used by other processes, as in bench/read.R

machine_busy <- function() {
  if (!file.exists("/proc/stat")) return(NA_real_)
  v <- as.numeric(strsplit(readLines("/proc/stat", n = 1L), " +")[[1L]][-1L])
  (sum(v[1:8]) - v[4L] - v[5L]) / 100  # ticks of USER_HZ = 100
}
own_cpu <- function() sum(proc.time()[c("user.self", "sys.self")])

elapsed <- function(expr) {
  invisible(gc())
  system.time(expr)[["elapsed"]]
}

# ---------------------------------------------------------------------------
# Runs

cat(sprintf("%s, R %s, panelattrition %s, survey %s, %d cores\n",
            format(Sys.time(), "%Y-%m-%d %H:%M"), getRversion(),
            utils::packageVersion("panelattrition"),
            utils::packageVersion("survey"), parallel::detectCores()))
busy0 <- machine_busy()
Sys.sleep(1)
cat(sprintf("CPU busy on the machine in the second before timing: %.2f cores\n",
            machine_busy() - busy0))

results <- list()
expected_s <- c(logit = NA_real_, calibrate = NA_real_)  # oracle s per person
for (n in sizes) {
  cat(sprintf("\n== n = %s people\n",
              format(n, big.mark = ",", scientific = FALSE)))
  t_sim <- elapsed(sim <- simulate_panel(n))
  t_panel <- elapsed(
    panel <- panel_data(sim$long, id = "id", wave = "wave",
                        baseline = sim$covariates)
  )
  formula <- stats::reformulate(sim$covariates)
  cat(sprintf("simulated in %.1f s, panel_data() in %.1f s; respondents per wave: %s\n",
              t_sim, t_panel,
              paste(formatC(colSums(panel$response), format = "d",
                            big.mark = ","), collapse = ", ")))
  rm(sim)

  cases <- list(
    logit = list(
      pa = function() {
        attrition_weights(panel, formula, history = "y", stabilize = FALSE)
      },
      oracle = function() glm_weights(panel, all.vars(formula)),
      oracle_name = "glm() by hand"
    ),
    calibrate = list(
      pa = function() {
        attrition_weights(panel, formula, method = "calibrate",
                          monotone = FALSE, calfun = "raking",
                          stabilize = FALSE)
      },
      oracle = function() survey_calibration(panel, formula),
      oracle_name = "survey::calibrate()"
    )
  )

  busy0 <- machine_busy()
  own0 <- own_cpu()
  wall0 <- proc.time()[["elapsed"]]
  for (m in names(cases)) {
    case <- cases[[m]]
    predicted <- expected_s[[m]] * n
    skip <- !is.na(predicted) && predicted > oracle_limit
    t_pa <- t_or <- rep(NA_real_, n_runs)
    w_pa <- w_or <- NULL
    # an untimed run of each first: no first-call costs in the times
    invisible(case$pa())
    if (!skip) invisible(case$oracle())
    for (i in seq_len(n_runs)) {
      t_pa[i] <- elapsed(w_pa <- case$pa())
      if (!skip) {
        t_or[i] <- elapsed(w_or <- case$oracle())
        # one run far over the limit is enough
        if (i == 1L && t_or[i] > oracle_limit) skip <- TRUE
      }
      cat(sprintf("  %-9s run %d: panelattrition %.2f s, %s %s\n", m, i,
                  t_pa[i], case$oracle_name,
                  if (is.na(t_or[i])) "skipped" else sprintf("%.2f s", t_or[i])))
    }
    med_or <- stats::median(t_or, na.rm = TRUE)
    if (!is.na(med_or)) expected_s[[m]] <- med_or / n
    note <- if (all(is.na(t_or))) {
      sprintf("oracle skipped: %.0f s expected from the smaller n (limit %.0f s)",
              predicted, oracle_limit)
    } else if (sum(!is.na(t_or)) < n_runs) {
      sprintf("oracle run once: %.0f s is over the %.0f s limit",
              t_or[1L], oracle_limit)
    } else ""
    results[[length(results) + 1L]] <- data.frame(
      n = n, method = m, pa_s = stats::median(t_pa), oracle_s = med_or,
      ratio = med_or / stats::median(t_pa),
      max_rel_diff = if (is.null(w_or)) NA_real_ else
        max_rel_diff(w_pa$weights, w_or),
      note = note
    )
    rm(w_pa, w_or)
  }
  other <- (machine_busy() - busy0) - (own_cpu() - own0)
  wall <- proc.time()[["elapsed"]] - wall0
  cat(sprintf("CPU taken by other processes while timing n = %s: %.2f cores on average\n",
              format(n, scientific = FALSE), other / wall))
  rm(panel)
}

# ---------------------------------------------------------------------------
# Results

tab <- do.call(rbind, results)
shown <- data.frame(
  n = format(tab$n, big.mark = ",", scientific = FALSE),
  method = tab$method,
  "panelattrition s" = sprintf("%.3f", tab$pa_s),
  "oracle s" = ifelse(is.na(tab$oracle_s), "skipped",
                      sprintf("%.3f", tab$oracle_s)),
  ratio = ifelse(is.na(tab$ratio), "", sprintf("%.1fx", tab$ratio)),
  "max rel diff" = ifelse(is.na(tab$max_rel_diff), "",
                          sprintf("%.1e", tab$max_rel_diff)),
  check.names = FALSE
)
cat(sprintf("\nResults (median of %d runs after a warm-up run; oracle: glm() for logit, survey::calibrate() for calibrate)\n",
            n_runs))
print(shown, row.names = FALSE, right = FALSE)
notes <- tab[tab$note != "", ]
for (k in seq_len(nrow(notes))) {
  cat(sprintf("  n = %s, %s: %s\n", format(notes$n[k], scientific = FALSE),
              notes$method[k], notes$note[k]))
}

# Scaling: the exponent b in time ~ n^b between consecutive sizes; 1 is
# linear. Below about 1e4 people fixed costs dominate, so the step that
# decides is the one between the two largest sizes.
cat("\nScaling of panelattrition's time with n (exponent b in time ~ n^b):\n")
for (m in unique(tab$method)) {
  sub <- tab[tab$method == m, ]
  if (nrow(sub) < 2L) next
  b <- diff(log(sub$pa_s)) / diff(log(sub$n))
  steps <- paste0(format(sub$n[-nrow(sub)], scientific = TRUE), " -> ",
                  format(sub$n[-1L], scientific = TRUE), ": b = ",
                  sprintf("%.2f", b), collapse = "; ")
  cat(sprintf("  %-9s %s  => %s\n", m, steps,
              if (b[length(b)] <= 1.1) "linear" else "worse than linear"))
}

ok <- is.na(tab$max_rel_diff) | tab$max_rel_diff < 1e-8
cat(sprintf("\nWeights agree with the oracles (max relative difference < 1e-8): %s\n",
            if (all(ok)) "yes" else "NO"))
at_1e5 <- tab[tab$n == 1e5 & tab$method == "logit", ]
if (nrow(at_1e5)) {
  cat(sprintf("Target: at least 10x faster than glm() at 1e5 people: %.1fx, %s\n",
              at_1e5$ratio, if (at_1e5$ratio >= 10) "met" else "NOT met"))
}
if (!all(ok)) quit(status = 1L)
