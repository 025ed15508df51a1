import CNN
import Testing
