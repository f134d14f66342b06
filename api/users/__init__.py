"""Users (drivers), their RFID tags and vehicles."""
