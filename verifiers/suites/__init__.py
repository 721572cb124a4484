"""How far a problem's test suite can be trusted, and making it stronger.

- `mutation`        mutants of a reference solution and the mutation score
- `wrong_programs`  the known-wrong pool: mutants, trivial answers, a lookup table of the public tests
- `strength`        the certificate (`SuiteStrength`: TPR, TNR, mutation score) of a suite
- `strength_report` its line in the report and the dataset card
- `input_mutation`  new inputs from the existing tests' literal arguments, mutated by type
- `oracle`          expected outputs from the reference (or agreeing samples), run in the sandbox
- `suite`           choosing the cases that kill the most wrong programs within a budget
- `harden`          `codesynth tests harden`: all of the above, cases added as private tests
"""
