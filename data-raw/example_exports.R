# Example survey exports shipped in inst/extdata/ for the examples, the
# vignette and `make demo`.
#
# A fictional training programme: 240 people (ids P0001 ... P0240) in four
# delivery approaches (integrated, parallel, collaborative, collective),
# surveyed before training (T1), right after (T2) and six months later (T3).
# Everyone answers T1; about 40% answer T2 and 25% T3. Dropout is more likely
# for people with low wellbeing and differs by approach, so unweighted
# later-wave means are biased upwards. Dropout is monotone except for a
# handful of people who skip T2 and come back at T3.
#
# Each wave imitates a different export, so that read_survey() and
# read_waves() have something to detect and reconcile:
#   wave1.csv  comma-delimited, decimal point, LF line endings; three people
#              left wellbeing blank.
#   wave2.csv  semicolon-delimited with decimal comma, as a French
#              spreadsheet exports it.
#   wave3.csv  comma-delimited with CRLF line endings; a few ids typed in
#              lower case or with a trailing space (quoted, so that the
#              space is part of the value for any CSV reader).
# Rows of T2 and T3 are in order of reply, not of id.
#
# Base R only and deterministic: run from the package root with
#   Rscript data-raw/example_exports.R

set.seed(20240611)

n <- 240L
approaches <- c("integrated", "parallel", "collaborative", "collective")
statuses <- c("unemployed", "employed", "self_employed", "training",
              "inactive")

people <- data.frame(
  id = sprintf("P%04d", seq_len(n)),
  group = sample(approaches, n, replace = TRUE, prob = c(0.3, 0.25, 0.25, 0.2)),
  gender = sample(c("female", "male"), n, replace = TRUE, prob = c(0.6, 0.4)),
  age = as.integer(round(pmin(pmax(rnorm(n, 38, 11), 18), 67)))
)

# Latent wellbeing drives both the answers and the chance of answering.
latent <- rnorm(n)
group_gain <- c(integrated = 5, parallel = 2, collaborative = 4,
                collective = 3)[people$group]

wellbeing_at <- function(shift) {
  as.integer(round(pmin(pmax(45 + 8 * latent + shift + rnorm(n, 0, 4), 0), 70)))
}
efficacy_at <- function(shift) {
  round(pmin(pmax(2.5 + 0.4 * latent + shift + rnorm(n, 0, 0.3), 1), 4), 2)
}
employment_at <- function(p_employed) {
  p <- cbind(0.45 - p_employed / 2, p_employed, 0.08, 0.12,
             0.35 - p_employed / 2)
  apply(p, 1L, function(pr) sample(statuses, 1L, prob = pr))
}

t1 <- data.frame(people,
                 employment = employment_at(rep(0.15, n)),
                 wellbeing = wellbeing_at(0),
                 self_efficacy = efficacy_at(0))
t2 <- data.frame(people,
                 employment = employment_at(rep(0.22, n)),
                 wellbeing = wellbeing_at(group_gain),
                 self_efficacy = efficacy_at(group_gain / 20))
t3 <- data.frame(people,
                 employment = employment_at(rep(0.30, n)),
                 wellbeing = wellbeing_at(group_gain * 1.3),
                 self_efficacy = efficacy_at(group_gain / 15))

# Response: everyone at T1; T2 depends on T1 wellbeing and approach; T3
# mostly among T2 respondents, plus a few returners who skipped T2.
group_effect <- c(integrated = 0.4, parallel = -0.5, collaborative = 0.1,
                  collective = -0.1)[people$group]
z <- (t1$wellbeing - 45) / 8
answer_t2 <- runif(n) < plogis(-0.45 + 0.8 * z + group_effect)
answer_t3 <- answer_t2 & runif(n) < plogis(0.45 + 0.5 * z + group_effect / 2)
returners <- sample(which(!answer_t2), 5L)
answer_t3[returners] <- TRUE

# Three blank wellbeing scores at T1.
t1$wellbeing[sample(n, 3L)] <- NA

t2 <- t2[answer_t2, ]
t3 <- t3[answer_t3, ]
t2 <- t2[sample(nrow(t2)), ]
t3 <- t3[sample(nrow(t3)), ]

# Ids typed differently at T3: two in lower case, two with a trailing space.
odd <- sample(nrow(t3), 4L)
t3$id[odd[1:2]] <- tolower(t3$id[odd[1:2]])
t3$id[odd[3:4]] <- paste0(t3$id[odd[3:4]], " ")

csv_lines <- function(df, delim, decimal) {
  cells <- lapply(df, function(x) {
    if (is.double(x)) {
      x <- sprintf("%.2f", x)
      x[x == "NA"] <- ""
      if (decimal != ".") x <- sub(".", decimal, x, fixed = TRUE)
    } else {
      x <- as.character(x)
      # Spaces around a value survive only inside quotes.
      padded <- !is.na(x) & grepl("^\\s|\\s$", x)
      x[padded] <- paste0("\"", x[padded], "\"")
      x[is.na(x)] <- ""
    }
    x
  })
  c(paste(names(df), collapse = delim),
    do.call(paste, c(cells, sep = delim)))
}

write_export <- function(df, path, delim = ",", decimal = ".", eol = "\n") {
  con <- file(path, open = "wb")
  on.exit(close(con))
  writeLines(csv_lines(df, delim, decimal), con, sep = eol)
}

dir.create("inst/extdata", showWarnings = FALSE, recursive = TRUE)
write_export(t1, "inst/extdata/wave1.csv")
write_export(t2, "inst/extdata/wave2.csv", delim = ";", decimal = ",")
write_export(t3, "inst/extdata/wave3.csv", eol = "\r\n")

message(sprintf(
  "Wrote T1 %d, T2 %d, T3 %d rows (%d returners at T3).",
  nrow(t1), nrow(t2), nrow(t3), length(returners)
))
