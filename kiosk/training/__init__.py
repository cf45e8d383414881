"""Training (bimtek) mode: the trainer's simulated faults, C.Hasil practice sheets and
"Reset latihan" (``service.TrainingService``), and the fake devices' panel
(``simulasi.SimulasiService``). Every training action refuses with
``Refused(TrainingCode.NOT_TRAINING)`` on a kiosk that is not in training mode."""
