"""OCPP frame logs (the station's Real-Time Logs): history and live."""
